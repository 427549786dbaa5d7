//! `lambda-logger serve`: the endpoint and the lookup on a local address, answering from a build folder (or `s3://`), storing into a spool file or an SQS queue.

use anyhow::{Context, Result};
use axum::extract::ConnectInfo;
use lambda_logger::artifacts::{Location, Store, DEFAULT_REFRESH_SECS};
use lambda_logger::sqs::{RetryPolicy, SqsSink};
use lambda_logger::{router, spool::SpoolSink, ExtraOrigins, Logger, RateLimit, Sink};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

#[derive(clap::Args)]
#[command(group = clap::ArgGroup::new("sink").required(true).args(["spool", "queue_url"]))]
pub(crate) struct Args {
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
    /// Longest time a client may take to send a request's headers, and its body, in seconds;
    /// also how long an idle keep-alive connection stays open. Slower connections are closed.
    #[arg(long, default_value_t = 10)]
    read_timeout_secs: u64,
    /// Events per second one network (IPv4 /24, IPv6 /48) may send, sustained; 0 turns the limit off.
    #[arg(long, default_value_t = RateLimit::default().events_per_sec)]
    rate_limit: f64,
    /// Events one network may send at once after a quiet spell.
    #[arg(long, default_value_t = RateLimit::default().burst)]
    rate_burst: f64,
    /// Also accept beacons from this origin, for every brand, without changing brands.csv (a
    /// staging or local copy of a brand's site, e.g. `https://staging.acme.example`). Repeatable.
    #[arg(long = "allow-origin", value_name = "URL")]
    allow_origin: Vec<String>,
    /// On Ctrl-C (or SIGTERM), longest wait for requests in flight, in seconds, before exiting.
    #[arg(long, default_value_t = 5)]
    shutdown_secs: u64,
}

pub(crate) fn run(args: Args) -> Result<()> {
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
    let extra = ExtraOrigins::parse(&args.allow_origin)?;
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
    let store = Store::open(&location, Duration::from_secs(args.refresh_secs)).await;
    // Run by hand, a first load that fails is a mistake to show at once (on Lambda the function
    // starts anyway and answers 503 until the build can be read).
    if store.peek().is_none() {
        anyhow::bail!("cannot load the build from {location} (see above)");
    }
    let logger = Logger::with_store(Arc::new(store), sink, false)
        .with_fallback_url(fallback)
        .with_extra_origins(extra.clone())
        .with_body_timeout(Duration::from_secs(args.read_timeout_secs.max(1)))
        .with_rate_limit((args.rate_limit > 0.0).then_some(RateLimit {
            events_per_sec: args.rate_limit,
            burst: args.rate_burst,
        }));
    let app = router(Arc::new(logger));
    if let Some(line) = extra.describe() {
        eprintln!("lambda-logger: {line}");
    }
    // Tests and scripts read this line to find the port.
    eprintln!(
        "lambda-logger: listening on http://{addr}{}",
        lambda_logger::ROUTE
    );
    let limits = Limits {
        read: Duration::from_secs(args.read_timeout_secs.max(1)),
        shutdown: Duration::from_secs(args.shutdown_secs),
    };
    accept_loop(listener, app, limits).await;
    Ok(())
}

struct Limits {
    read: Duration,
    shutdown: Duration,
}

/// Serves connections until Ctrl-C or SIGTERM, then lets requests in flight finish for at
/// most `limits.shutdown`. Unlike `axum::serve`, every connection has a header read time-out
/// (which also closes idle keep-alive connections), so clients that connect and send nothing,
/// or half a request, cannot hold file descriptors (and the shutdown) forever.
async fn accept_loop(listener: tokio::net::TcpListener, app: axum::Router, limits: Limits) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.read)
        .keep_alive(true);
    // Each connection task watches `stopping`; on shutdown it lets its request in flight finish
    // (hyper's graceful shutdown) and closes, or is dropped when the deadline comes.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut conns = tokio::task::JoinSet::new();
    let stop = shutdown_signal();
    tokio::pin!(stop);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors (EMFILE) and the like: the time-outs free some soon.
                    eprintln!("lambda-logger: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            // Reap finished connections so the set stays as large as the open ones.
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
            () = &mut stop => break,
        };
        // Answers are small: send them at once rather than waiting for the peer's ACK (Nagle).
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                app.clone().oneshot(req.map(axum::body::Body::new))
            });
        let conn = http.serve_connection(TokioIo::new(tcp), service);
        let mut stopping = stop_rx.clone();
        conns.spawn(async move {
            tokio::pin!(conn);
            // A client that goes away mid-request is its own business: errors are not logged.
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stopping.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    drop(listener);
    eprintln!(
        "lambda-logger: stopping; waiting at most {:?} for requests in flight",
        limits.shutdown
    );
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(limits.shutdown, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        eprintln!(
            "lambda-logger: {} connections still open after {:?}: closing them",
            conns.len(),
            limits.shutdown
        );
        conns.abort_all();
    }
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
