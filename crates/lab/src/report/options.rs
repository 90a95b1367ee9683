//! What a report run is asked to do.

use std::path::PathBuf;

use super::profile::Profile;

/// Options of a report run.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// How much to run.
    pub profile: Profile,
    /// Data for every experiment (overrides the profile's choice).
    pub data: Option<String>,
    /// Output directory (runs go to `OUT/runs`, resumable).
    pub out: PathBuf,
    /// Parallel runs.
    pub jobs: usize,
}
