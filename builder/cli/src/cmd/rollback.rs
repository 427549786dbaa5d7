//! `formroute rollback`: re-points one brand, or all, to an earlier published build, and invalidates what changed.
//!
//! Without `--to`, each selected brand goes back to the newest kept build, older than the live
//! one, whose artifacts differ (see `crate::publish::plan::plan_rollback`). Only pointers
//! and the live manifest are written: the hashed files of kept builds are still there.

use crate::aws;
use crate::publish::executor::Finish;
use crate::publish::plan::{plan_rollback, Selection};
use anyhow::{bail, Result};
use formroute_core::layout::Layout;
use std::process::ExitCode;

/// Arguments of `formroute rollback`.
#[derive(Debug, clap::Args)]
pub(crate) struct RollbackArgs {
    /// S3 bucket.
    #[arg(long)]
    pub(crate) bucket: String,
    /// Key prefix inside the bucket.
    #[arg(long, default_value = "")]
    pub(crate) prefix: String,
    /// The brand to roll back (repeatable).
    #[arg(long, conflicts_with = "all")]
    pub(crate) brand: Vec<String>,
    /// Roll back every brand: the live state becomes exactly the target build.
    #[arg(long)]
    pub(crate) all: bool,
    /// The build id to go back to (see `builds/history.json`); default: the previous one.
    #[arg(long)]
    pub(crate) to: Option<String>,
    /// CloudFront distribution whose cache is invalidated for the pointers that change.
    #[arg(long)]
    pub(crate) distribution: Option<String>,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

/// Runs `formroute rollback`.
pub(crate) fn run(args: RollbackArgs) -> Result<ExitCode> {
    aws::runtime()?
        .block_on(rollback(args))
        .map(|()| ExitCode::SUCCESS)
}

async fn rollback(args: RollbackArgs) -> Result<()> {
    let selection = match (args.all, args.brand.is_empty()) {
        (true, _) => Selection::All,
        (false, false) => Selection::Brands(args.brand.clone()),
        (false, true) => bail!("say which brands to roll back: --brand BRAND or --all"),
    };
    let layout = Layout::new(&args.prefix);
    let aws = aws::connect().await;
    let remote = crate::publish::executor::read_remote(&aws.s3, &args.bucket, &layout).await?;
    let (plan, _) = plan_rollback(&layout, &remote, &selection, args.to.as_deref())?;
    Finish {
        verb: "rolling back to",
        dir: None,
        bucket: &args.bucket,
        distribution: args.distribution.as_deref(),
        dry_run: args.dry_run,
    }
    .run(&aws, &plan, serde_json::json!({}))
    .await?;
    Ok(())
}
