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
    /// server sends a page it already sent (so it never loops forever). A failed page yields
    /// one `Err` and ends the iteration.
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
            page: request.page(),
            current: Vec::new().into_iter(),
            seen: HashSet::new(),
            yielded: 0,
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
    done: bool,
}

impl ImportJobPages<'_> {
    /// Fetches the next page into `current`; sets `done` when it is the last one.
    fn fetch(&mut self) -> Result<(), Error> {
        let request = self.request.clone().current_page(self.page);
        let list = self.api.list_import_jobs(&request)?.into_data();
        let page_size = u64::from(self.request.size());
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
            if let Err(e) = self.fetch() {
                self.done = true;
                return Some(Err(e));
            }
        }
    }
}
