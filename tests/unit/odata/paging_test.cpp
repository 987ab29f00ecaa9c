#include "leadsync/odata/paging.hpp"

#include <gtest/gtest.h>
#include <vector>

namespace leadsync::odata {
namespace {

CollectionPage page_with(std::string next_link, int row) {
  CollectionPage page;
  page.rows.push_back(nlohmann::json{{"row", row}});
  page.next_link = std::move(next_link);
  return page;
}

TEST(PageIteratorTest, FollowsEachNextLinkUnchangedUntilAPageHasNone) {
  std::vector<std::string> asked;
  PageIterator pages([&](const std::string& link) -> Result<CollectionPage> {
    asked.push_back(link);
    if (link.empty()) {
      return page_with("https://org/api/data/v9.2/leads?$skiptoken=%3Ccookie%20page%3D%222%22", 1);
    }
    return page_with("", 2);
  });
  std::vector<int> rows;
  while (auto page = pages.next()) {
    ASSERT_TRUE(page->ok());
    rows.push_back(page->value().rows.front().at("row"));
  }
  EXPECT_EQ(rows, (std::vector<int>{1, 2}));
  EXPECT_EQ(asked,
            (std::vector<std::string>{
                "", "https://org/api/data/v9.2/leads?$skiptoken=%3Ccookie%20page%3D%222%22"}));
  EXPECT_EQ(pages.pages_read(), 2);
  EXPECT_FALSE(pages.next().has_value());
}

TEST(PageIteratorTest, AFailedFetchIsReturnedOnceAndEndsTheIteration) {
  int calls = 0;
  PageIterator pages([&](const std::string&) -> Result<CollectionPage> {
    ++calls;
    return fail(ErrorCategory::unavailable, "down", true);
  });
  auto first = pages.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->ok());
  EXPECT_EQ(first->error().message, "down");
  EXPECT_FALSE(pages.next().has_value());
  EXPECT_EQ(calls, 1);
}

} // namespace
} // namespace leadsync::odata
