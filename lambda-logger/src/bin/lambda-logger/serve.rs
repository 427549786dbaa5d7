//! `lambda-logger serve`: the endpoint and the lookup on a local address, answering from a build folder (or `s3://`), storing into a spool file or an SQS queue.

use anyhow::{Context, Result};
use lambda_logger::artifacts::{Location, Store, DEFAULT_REFRESH_SECS};
use lambda_logger::sqs::{RetryPolicy, SqsSink};
use lambda_logger::{router, spool::SpoolSink, Logger, Sink};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
#[command(group = clap::ArgGroup::new("sink").required(true).args(["spool", "queue_url"]))]
pub struct Args {
    /// Address to listen on, e.g. 127.0.0.1:8787 (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Build output folder of `formroute build` (its manifest.json names the brand origins), or
    /// `s3://BUCKET/PREFIX` where `formroute publish` put it. A changed build is picked up.
    #[arg(long)]
    artifacts: String,
    /// Look for a changed build at most this often, in seconds.
    #[arg(long, default_value_t = DEFAULT_REFRESH_SECS)]
    refresh_secs: u64,
    /// Where `/v1/go` sends visitors while no build could be loaded.
    #[arg(long)]
    fallback_url: Option<String>,
    /// Append accepted events to this NDJSON file.
    #[arg(long)]
    spool: Option<PathBuf>,
    /// Send accepted events to this SQS queue (AWS configuration from the environment).
    #[arg(long)]
    queue_url: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
}

pub fn run(args: Args) -> Result<()> {
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        rt.worker_threads(n.max(1));
    }
    let rt = rt
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(serve(args))
}

async fn serve(args: Args) -> Result<()> {
    let location = Location::parse(&args.artifacts)?;
    let fallback = crate::on_lambda::fallback_url(args.fallback_url.clone())?;
    let sink = match (&args.spool, &args.queue_url) {
        (Some(path), _) => Sink::Spool(
            SpoolSink::open(path).with_context(|| format!("cannot open {}", path.display()))?,
        ),
        (None, Some(url)) => Sink::Sqs(SqsSink::from_env(url, RetryPolicy::default()).await),
        (None, None) => anyhow::bail!("give --spool FILE or --queue-url URL"),
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener
        .local_addr()
        .context("cannot read the bound address")?;
    // Answers are small: send them at once rather than waiting for the peer's ACK (Nagle).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let store = Store::open(&location, Duration::from_secs(args.refresh_secs)).await;
    // Run by hand, a first load that fails is a mistake to show at once (on Lambda the function
    // starts anyway and answers 503 until the build can be read).
    if store.peek().is_none() {
        anyhow::bail!("cannot load the build from {location} (see above)");
    }
    let logger = Logger::with_store(Arc::new(store), sink, false).with_fallback_url(fallback);
    let app = router(Arc::new(logger));
    // Tests and scripts read this line to find the port.
    eprintln!(
        "lambda-logger: listening on http://{addr}{}",
        lambda_logger::ROUTE
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("server failed")
}
