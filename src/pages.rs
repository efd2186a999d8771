//! [`BulkImportApi::list_all_import_jobs`]: every job, across pages, fetched lazily.

use std::collections::HashSet;
use std::vec;

use crate::api::BulkImportApi;
use crate::error::Error;
use crate::model::ImportJobRecord;
use crate::request::ListImportJobsRequest;

impl BulkImportApi {
    /// Every job the request matches, page after page, starting at the request's
    /// `current_page`; pages are fetched lazily, as the iterator is consumed.
    ///
    /// It stops after a short page (fewer records than the page size), once `count` records
    /// have been seen (Zilliz Cloud), after the first page when the server does not page
    /// (open-source Milvus returns every job at once and echoes no paging fields), and when a
    /// server sends a page it already sent. A failed page yields one `Err` and ends the
    /// iteration.
    ///
    /// It is bounded: after [`max_pages`](ImportJobPages::max_pages) pages (1 000 by default)
    /// while the server still announces more, it yields [`Error::TooManyPages`] and ends, so a
    /// server that keeps inventing pages cannot make it run (or grow) forever. Nothing is kept
    /// but the ids of the jobs yielded (to notice repeated pages): stream it rather than collect
    /// it when the list is long.
    ///
    /// ```
    /// # use milvus_bulk_import::{http, BulkImportApi, FnTransport, ListImportJobsRequest};
    /// # let api = BulkImportApi::builder("http://127.0.0.1:19530")
    /// #     .transport(FnTransport::new(|_| Ok(http::Response::new(
    /// #         br#"{"code":0,"data":{"records":[{"jobId":"1","state":"Completed"}]}}"#.to_vec()))))
    /// #     .build()?;
    /// let mut failed = 0;
    /// for job in api.list_all_import_jobs(&ListImportJobsRequest::new().page_size(100)) {
    ///     let job = job?;
    ///     if job.state == milvus_bulk_import::ImportJobState::Failed {
    ///         failed += 1;
    ///     }
    /// }
    /// # assert_eq!(failed, 0);
    /// # Ok::<(), milvus_bulk_import::Error>(())
    /// ```
    pub fn list_all_import_jobs(&self, request: &ListImportJobsRequest) -> ImportJobPages<'_> {
        ImportJobPages {
            api: self,
            request: request.clone(),
            page: request.current_page_number(),
            current: Vec::new().into_iter(),
            seen: HashSet::new(),
            yielded: 0,
            fetched_pages: 0,
            max_pages: DEFAULT_MAX_PAGES,
            done: false,
        }
    }
}

/// The iterator of [`BulkImportApi::list_all_import_jobs`].
#[derive(Debug)]
pub struct ImportJobPages<'a> {
    api: &'a BulkImportApi,
    request: ListImportJobsRequest,
    /// The next page to fetch.
    page: u32,
    current: vec::IntoIter<ImportJobRecord>,
    /// Job ids yielded so far, to notice a server that repeats pages.
    seen: HashSet<String>,
    yielded: u64,
    /// Pages fetched so far, and the most that will be.
    fetched_pages: u32,
    max_pages: u32,
    done: bool,
}

/// The default of [`ImportJobPages::max_pages`].
const DEFAULT_MAX_PAGES: u32 = 1000;

impl ImportJobPages<'_> {
    /// Fetch at most `n` pages (default 1 000; `0` counts as 1): when the server still announces
    /// more after the `n`-th, the iterator yields [`Error::TooManyPages`] and ends.
    ///
    /// ```
    /// # use milvus_bulk_import::{http, BulkImportApi, Error, FnTransport, ListImportJobsRequest};
    /// // A server that always says there is another page.
    /// let api = BulkImportApi::builder("http://127.0.0.1:19530")
    ///     .transport(FnTransport::new(|request: http::Request<Vec<u8>>| {
    ///         let page: serde_json::Value = serde_json::from_slice(request.body()).unwrap();
    ///         let id = page["currentPage"].as_u64().unwrap();
    ///         Ok(http::Response::new(format!(
    ///             r#"{{"code":0,"data":{{"count":1000000,"currentPage":{id},"pageSize":1,
    ///                 "records":[{{"jobId":"{id}","state":"Completed"}}]}}}}"#
    ///         ).into_bytes()))
    ///     }))
    ///     .build()?;
    /// let request = ListImportJobsRequest::new().page_size(1);
    /// let results: Vec<_> = api.list_all_import_jobs(&request).max_pages(3).collect();
    /// assert_eq!(results.len(), 4);
    /// assert!(matches!(results[3], Err(Error::TooManyPages { pages: 3, records: 3 })));
    /// # Ok::<(), milvus_bulk_import::Error>(())
    /// ```
    pub fn max_pages(mut self, n: u32) -> Self {
        self.max_pages = n.max(1);
        self
    }
}

impl ImportJobPages<'_> {
    /// Fetches the next page into `current`; sets `done` when it is the last one.
    fn fetch(&mut self) -> Result<(), Error> {
        let request = self.request.clone().current_page(self.page);
        let list = self.api.list_import_jobs(&request)?.into_data();
        let page_size = u64::from(self.request.records_per_page());
        let fetched = list.records.len() as u64;
        let records: Vec<ImportJobRecord> = list
            .records
            .into_iter()
            .filter(|r| !self.seen.contains(&r.job_id))
            .collect();
        let repeated = fetched > 0 && records.is_empty();
        let paged = list.current_page.is_some() || list.page_size.is_some() || list.count.is_some();
        self.seen.extend(records.iter().map(|r| r.job_id.clone()));
        self.yielded += records.len() as u64;
        let reached_count = list.count.is_some_and(|count| self.yielded >= count);
        self.done =
            !paged || fetched < page_size || reached_count || repeated || self.page == u32::MAX;
        self.page = self.page.saturating_add(1);
        self.fetched_pages = self.fetched_pages.saturating_add(1);
        self.current = records.into_iter();
        Ok(())
    }
}

impl Iterator for ImportJobPages<'_> {
    type Item = Result<ImportJobRecord, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(record) = self.current.next() {
                return Some(Ok(record));
            }
            if self.done {
                return None;
            }
            if self.fetched_pages >= self.max_pages {
                self.done = true;
                return Some(Err(Error::too_many_pages(self.fetched_pages, self.yielded)));
            }
            if let Err(e) = self.fetch() {
                self.done = true;
                return Some(Err(e));
            }
        }
    }
}
