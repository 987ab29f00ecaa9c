// The rules both stores share (connector/src/store/detail/rules.hpp): cursors, enum columns, the
// completion errors and the argument checks. The contract suites check them again through each
// store; these pin the pieces on their own.

#include "detail/rules.hpp"

#include <gtest/gtest.h>

namespace leadsync::store::detail {
namespace {

TEST(StoreRules, ACursorNamesTheCreationTimeAndIdOfTheLastLead) {
  model::Lead lead;
  lead.identity.id = "0190f5d2-0000-7000-8000-000000000001";
  lead.identity.created_at = from_millis(1'700'000'000'123);
  const auto cursor = make_cursor(lead);
  EXPECT_EQ(cursor, "1700000000123:0190f5d2-0000-7000-8000-000000000001");
  const auto parsed = parse_cursor(cursor);
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(parsed->created_at, 1'700'000'000'123);
  EXPECT_EQ(parsed->id, lead.identity.id);
}

TEST(StoreRules, ACursorListLeadsDidNotReturnIsAnInvalidArgument) {
  for (const auto* text : {"", "123", "123:", ":abc", "12x:abc", "abc:def"}) {
    const auto parsed = parse_cursor(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().category, ErrorCategory::invalid_argument);
    EXPECT_NE(parsed.error().message.find("pass the previous page's cursor unchanged"),
              std::string::npos);
  }
}

TEST(StoreRules, TimesAreStoredAsWholeMillisecondsFlooredEvenBeforeTheEpoch) {
  EXPECT_EQ(to_millis(TimePoint{std::chrono::microseconds{1'999}}), 1);
  EXPECT_EQ(to_millis(TimePoint{std::chrono::microseconds{-1}}), -1);
  EXPECT_EQ(stored_time(TimePoint{std::chrono::microseconds{2'500}}),
            TimePoint{std::chrono::milliseconds{2}});
  EXPECT_EQ(to_millis(std::optional<TimePoint>()), std::nullopt);
  EXPECT_EQ(from_millis(std::optional<std::int64_t>(5)), TimePoint{std::chrono::milliseconds{5}});
}

TEST(StoreRules, EnumColumnsReadBackWhatToStringWroteAndRefuseUnknownNames) {
  EXPECT_EQ(parse_operation(to_string(OutboxOperation::merge)).value(), OutboxOperation::merge);
  EXPECT_EQ(parse_duplicate_status(to_string(DuplicateStatus::not_duplicate)).value(),
            DuplicateStatus::not_duplicate);
  EXPECT_EQ(parse_webhook_state(to_string(WebhookEventState::failed)).value(),
            WebhookEventState::failed);
  EXPECT_EQ(parse_feed_key_kind(to_string(FeedKeyKind::profile)).value(), FeedKeyKind::profile);

  const auto unknown = parse_operation("teleport");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().category, ErrorCategory::storage);
  EXPECT_EQ(unknown.error().message, "the outbox holds an unknown operation 'teleport'; it was "
                                     "written by a newer leadsync: upgrade leadsync");
  EXPECT_FALSE(parse_feed_key_kind("EMAIL").ok());
}

TEST(StoreRules, ACompletionThatLostEntriesIsAConflictNamingLostAndMissingOnes) {
  EXPECT_TRUE(outbox_completion({}, {}, "w").ok());
  const auto both = outbox_completion({3, 4}, {9}, "h:1");
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.error().category, ErrorCategory::conflict);
  EXPECT_EQ(both.error().message,
            "outbox entries 3, 4 are not leased by worker 'h:1' (their lease expired and another "
            "worker took them, or they were never claimed); outbox entries 9 do not exist "
            "(completed or dead-lettered already); they were not completed, the others were");
  const auto missing = webhook_completion({}, {7, 8}, "h:1");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().category, ErrorCategory::not_found);
  EXPECT_EQ(missing.error().message, "webhook events 7, 8 do not exist (pruned); they were not "
                                     "completed, the others were");
}

TEST(StoreRules, AFeedRecordOfAnotherFileIsRefusedWithItsPosition) {
  const FeedFileState state{.provider = "feed",
                            .path = "a.csv",
                            .size = 0,
                            .mtime_ns = 0,
                            .digest = "",
                            .lines = 0,
                            .records = 0,
                            .rejected = 0,
                            .indexed_at = TimePoint{}};
  std::vector<FeedRecord> records(2);
  records[1].path = "b.csv";
  records[1].line = 7;
  const auto refused = check_feed_file(state, records);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().category, ErrorCategory::invalid_argument);
  EXPECT_NE(refused.error().message.find("record 2 (line 7)"), std::string::npos);
  records[1].path = "a.csv";
  EXPECT_TRUE(check_feed_file(state, records).ok());
  FeedFileState unnamed = state;
  unnamed.path.clear();
  EXPECT_FALSE(check_feed_file(unnamed, {}).ok());
}

TEST(StoreRules, ABatchThatWritesALeadTwiceIsRefusedNamingTheSecondWrite) {
  ManualClock clock;
  SeededRandom random(7);
  std::vector<LeadWrite> writes(2);
  writes[0].lead.identity.id = "0190F5D2-0000-7000-8000-000000000001";
  writes[1].kind = WriteKind::update;
  writes[1].lead.identity.id = "0190f5d2-0000-7000-8000-000000000001";
  const auto refused = prepare_writes(writes, std::nullopt, clock, random);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().category, ErrorCategory::invalid_argument);
  EXPECT_EQ(refused.error().message.rfind("write 2 of 2: lead 0190f5d2-", 0), 0U)
      << refused.error().message;

  writes[1].lead.identity.id.clear();
  writes[1].kind = WriteKind::create;
  ASSERT_TRUE(prepare_writes(writes, std::nullopt, clock, random).ok());
  EXPECT_EQ(writes[0].lead.identity.id, "0190f5d2-0000-7000-8000-000000000001");
  EXPECT_FALSE(writes[1].lead.identity.id.empty());
  EXPECT_FALSE(
      prepare_writes(writes, CheckpointValue{.name = "", .value = "x"}, clock, random).ok());
}

TEST(StoreRules, AnUpdateOfAStaleVersionIsAConflictAndAFreshOneAdvancesTheVersion) {
  model::Lead lead;
  lead.identity.id = "0190f5d2-0000-7000-8000-000000000001";
  lead.identity.version = 2;
  const auto stale = advance_identity(lead, 3, 10, from_millis(20));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().category, ErrorCategory::conflict);
  EXPECT_EQ(lead.identity.version, 2);
  ASSERT_TRUE(advance_identity(lead, 2, 10, from_millis(20)).ok());
  EXPECT_EQ(lead.identity.version, 3);
  EXPECT_EQ(lead.identity.created_at, from_millis(10));
  EXPECT_EQ(lead.identity.updated_at, from_millis(20));
}

TEST(StoreRules, AnIdPartWithWildcardsIsRefusedAndAPlainOneBecomesALowerCasePattern) {
  EXPECT_EQ(id_pattern("AB-1", false).value(), "ab-1%");
  EXPECT_EQ(id_pattern("ff", true).value(), "%ff");
  const auto refused = id_pattern("a%", true);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "an id suffix holds only hex digits and '-' (got \"a%\")");
  EXPECT_FALSE(page_size(PageRequest{.limit = 0, .after = ""}).ok());
  EXPECT_EQ(page_size(PageRequest{.limit = 5000, .after = ""}).value(), 1000U);
}

TEST(StoreRules, ADuplicatePairRowOrdersItsLeadsAndResolvesAtTheGivenTimeOrNow) {
  DuplicatePair pair;
  pair.lead_a = "0190f5d2-0000-7000-8000-000000000002";
  pair.lead_b = "0190F5D2-0000-7000-8000-000000000001";
  pair.score = 0.8756;
  pair.status = DuplicateStatus::merged;
  const auto row = duplicate_pair_row(pair, from_millis(42));
  ASSERT_TRUE(row.ok()) << row.error().describe();
  EXPECT_EQ(row->low, "0190f5d2-0000-7000-8000-000000000001");
  EXPECT_EQ(row->high, pair.lead_a);
  EXPECT_EQ(row->score_milli, 876);
  EXPECT_EQ(row->resolved_at, 42);
  pair.lead_b = pair.lead_a;
  EXPECT_FALSE(duplicate_pair_row(pair, from_millis(42)).ok());
}

} // namespace
} // namespace leadsync::store::detail
