// classify_failure: one answer per failure, from the Error's structured fields only.

#include "leadsync/http/failure.hpp"

#include <gtest/gtest.h>
#include <set>
#include <string>

namespace leadsync::http {
namespace {

// An error as the transport makes it: no HTTP status, a cause, an endpoint.
Error transport_error(TransportCause cause) {
  Error error = Error::make(cause == TransportCause::timeout ? ErrorCategory::timeout
                                                             : ErrorCategory::unavailable,
                            "request failed", true);
  error.transport_cause = cause;
  error.endpoint = "crm.example.com:443";
  return error;
}

// An error as the OData parser makes it from an answer.
Error answered(ErrorCategory category, int status, std::string service_code = {}) {
  Error error = Error::make(category, "the service said no");
  error.http_status = status;
  error.service_code = std::move(service_code);
  return error;
}

TEST(ClassifyFailure, EachTransportCauseHasItsKindAndCountsAsNoResponseAndUnreachable) {
  const std::pair<TransportCause, FailureKind> cases[] = {
      {TransportCause::refused, FailureKind::refused},
      {TransportCause::dns, FailureKind::dns},
      {TransportCause::tls, FailureKind::tls},
      {TransportCause::reset, FailureKind::reset},
      {TransportCause::timeout, FailureKind::timeout},
      {TransportCause::other, FailureKind::network},
  };
  for (const auto& [cause, kind] : cases) {
    const auto failure = classify_failure(transport_error(cause));
    EXPECT_EQ(failure.kind, kind) << to_string(cause);
    EXPECT_TRUE(failure.no_response) << to_string(cause);
    EXPECT_TRUE(failure.crm_unreachable) << to_string(cause);
  }
}

TEST(ClassifyFailure, TheMessageTextDoesNotDecide) {
  Error misleading = answered(ErrorCategory::validation, 400);
  misleading.message = "TLS with host failed: connection refused; cannot resolve the host name";
  const auto failure = classify_failure(misleading);
  EXPECT_EQ(failure.kind, FailureKind::other);
  EXPECT_FALSE(failure.no_response);
  EXPECT_FALSE(failure.crm_unreachable);
}

TEST(ClassifyFailure, ATransportErrorWithoutACauseIsStillNoResponse) {
  const auto unavailable =
      classify_failure(Error::make(ErrorCategory::unavailable, "connection refused", true));
  EXPECT_EQ(unavailable.kind, FailureKind::network);
  EXPECT_TRUE(unavailable.no_response);
  const auto timeout = classify_failure(Error::make(ErrorCategory::timeout, "slow", true));
  EXPECT_EQ(timeout.kind, FailureKind::timeout);
  EXPECT_TRUE(timeout.no_response);
}

TEST(ClassifyFailure, AnswersAreClassifiedByStatusAndServiceCode) {
  EXPECT_EQ(classify_failure(answered(ErrorCategory::unauthorized, 401)).kind,
            FailureKind::unauthorized);
  EXPECT_EQ(classify_failure(answered(ErrorCategory::unauthorized, 401, "0x80090306")).kind,
            FailureKind::unauthorized);
  EXPECT_EQ(classify_failure(answered(ErrorCategory::unauthorized, 400, "invalid_client")).kind,
            FailureKind::sign_in_refused);
  EXPECT_EQ(classify_failure(answered(ErrorCategory::forbidden, 403)).kind, FailureKind::forbidden);
  EXPECT_EQ(classify_failure(answered(ErrorCategory::throttled, 429, "0x80072322")).kind,
            FailureKind::throttled);
  EXPECT_EQ(classify_failure(answered(ErrorCategory::unavailable, 503)).kind,
            FailureKind::service_error);
  EXPECT_EQ(classify_failure(answered(ErrorCategory::not_found, 404)).kind, FailureKind::other);
  for (const auto status : {401, 403, 429, 503, 404}) {
    EXPECT_FALSE(classify_failure(answered(ErrorCategory::validation, status)).no_response);
  }
}

TEST(ClassifyFailure, ThrottlingAndBadRequestsDoNotMakeTheCrmUnreachable) {
  EXPECT_TRUE(classify_failure(answered(ErrorCategory::unauthorized, 401)).crm_unreachable);
  EXPECT_TRUE(classify_failure(answered(ErrorCategory::forbidden, 403)).crm_unreachable);
  EXPECT_TRUE(classify_failure(answered(ErrorCategory::unavailable, 503)).crm_unreachable);
  EXPECT_FALSE(classify_failure(answered(ErrorCategory::throttled, 429)).crm_unreachable);
  EXPECT_FALSE(classify_failure(answered(ErrorCategory::validation, 400)).crm_unreachable);
  EXPECT_FALSE(classify_failure(Error::make(ErrorCategory::cancelled, "stop")).crm_unreachable);
}

TEST(ClassifyFailure, EveryKindHasItsOwnLabel) {
  std::set<std::string> labels;
  for (const auto kind : all_failure_kinds) {
    labels.emplace(to_string(kind));
  }
  EXPECT_EQ(labels.size(), all_failure_kinds.size());
  EXPECT_EQ(to_string(FailureKind::sign_in_refused), "sign_in_refused");
}

} // namespace
} // namespace leadsync::http
