#pragma once
// @odata.nextLink paging as an iterator: next() yields one page at a time and follows each page's
// nextLink unchanged, as Dataverse requires (dataverse-notes section 4), until a page has none.
//   odata::PageIterator pages([&](const std::string& link) { return client.retrieve_page(set, q,
//   link); }); while (auto page = pages.next()) { if (!page->ok()) ...; if (!page->value()) break;
//   ... }

#include "leadsync/odata/response.hpp"

#include <functional>
#include <optional>
#include <string>

namespace leadsync::odata {

class PageIterator {
public:
  // fetch("") reads the first page; fetch(link) reads the page a nextLink names.
  using Fetch = std::function<Result<CollectionPage>(const std::string& next_link)>;
  explicit PageIterator(Fetch fetch) : fetch_(std::move(fetch)) {}

  // The next page; nullopt after the last one. A failed fetch is returned once and ends the
  // iteration.
  std::optional<Result<CollectionPage>> next() {
    if (done_) {
      return std::nullopt;
    }
    auto page = fetch_(next_link_);
    if (!page.ok() || page->next_link.empty()) {
      done_ = true;
    } else {
      next_link_ = page->next_link;
    }
    ++pages_;
    return page;
  }

  int pages_read() const { return pages_; }

private:
  Fetch fetch_;
  std::string next_link_;
  bool done_ = false;
  int pages_ = 0;
};

} // namespace leadsync::odata
