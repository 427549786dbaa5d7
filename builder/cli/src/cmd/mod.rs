//! One file per subcommand; each has its clap `Args` and a `run(args) -> Result<ExitCode>`.

pub(crate) mod build;
pub(crate) mod coverage;
pub(crate) mod diff;
pub(crate) mod logs;
pub(crate) mod publish;
pub(crate) mod resolve;
pub(crate) mod rollback;
#[cfg(feature = "serve")]
pub(crate) mod serve;
