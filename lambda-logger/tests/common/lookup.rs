//! For the lookup tests: builds of data/ with the `formroute` binary, raw HTTP with headers, and a TCP gate that can cut a service off.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The `formroute` binary, next to `lambda-logger` in the target folder (`cargo test` at the
/// workspace root builds both).
pub(crate) fn formroute_bin() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_lambda-logger")).with_file_name("formroute");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build -p formroute` (or `cargo test` at the workspace root)",
        bin.display()
    );
    bin
}

/// The repository's data/ folder.
pub(crate) fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data")
}

/// A brand that data/ does not have, with its own origin: what build B adds.
pub(crate) const NOVA_ORIGIN: &str = "https://www.nova.example";

/// Copies data/ to `dir` and, with `nova`, adds the brand `nova` (origin [`NOVA_ORIGIN`], one
/// product `auto` served everywhere).
pub(crate) fn write_data(dir: &Path, nova: bool) {
    std::fs::create_dir_all(dir).unwrap();
    for f in [
        "zips.csv",
        "brands.csv",
        "forms.csv",
        "rules.csv",
        "zip_overrides.csv",
    ] {
        let mut text = std::fs::read_to_string(data_dir().join(f)).unwrap();
        if nova {
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(match f {
                "brands.csv" => "nova,Nova Insurance,en,https://www.nova.example/quote?zip={zip},https://www.nova.example\n",
                "forms.csv" => "nova,auto,direct,en,https://www.nova.example/auto?zip={zip}&state={state}\n",
                "rules.csv" => "nova,*,*,direct\n",
                _ => "",
            });
        }
        std::fs::write(dir.join(f), text).unwrap();
    }
}

/// `formroute build --data data --out out`.
pub(crate) fn build(data: &Path, out: &Path) {
    let o = Command::new(formroute_bin())
        .args(["build", "--data"])
        .arg(data)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "formroute build failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `formroute resolve` of one query: its stdout, byte for byte.
pub(crate) fn cli_resolve(out: &Path, args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let o = Command::new(formroute_bin())
        .arg("resolve")
        .arg("--artifacts")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

/// An HTTP answer: status, header lines (names lowercased), body bytes.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `target` (path and query, as raw bytes) as a GET on a fresh connection to `base`
/// (`http://host:port`, maybe with a path prefix such as `/lambda-url/_`).
pub(crate) fn get_raw(base: &str, target: &[u8], headers: &[(&str, &str)]) -> Answer {
    let rest = base.strip_prefix("http://").unwrap();
    let (host, prefix) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut req = Vec::new();
    req.extend_from_slice(b"GET ");
    if !prefix.is_empty() {
        req.push(b'/');
        req.extend_from_slice(prefix.as_bytes());
    }
    req.extend_from_slice(target);
    req.extend_from_slice(format!(" HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n").as_bytes());
    for (k, v) in headers {
        req.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    s.write_all(&req).unwrap();
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let split = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer: {:?}", String::from_utf8_lossy(&resp)));
    let head = String::from_utf8_lossy(&resp[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.get(9..12))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = resp[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = unchunk(&body);
    }
    Answer {
        status,
        headers,
        body,
    }
}

fn unchunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 4 + n..];
    }
}

/// `GET {base}{path_and_query}`.
pub(crate) fn get(base: &str, path_and_query: &str) -> Answer {
    get_raw(base, path_and_query.as_bytes(), &[])
}

/// A TCP forwarder to `upstream` that can be closed: [`Gate::close`] refuses new connections
/// and cuts the open ones, as a service that went away.
pub(crate) struct Gate {
    pub url: String,
    open: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    port: u16,
}

impl Gate {
    pub(crate) fn start(upstream: &str) -> Gate {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<TcpStream>>> = Default::default();
        let (o, c) = (open.clone(), conns.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if !o.load(Ordering::SeqCst) {
                    // Closed: the listener is dropped, so later connects are refused.
                    let _ = client.shutdown(Shutdown::Both);
                    return;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                {
                    let mut all = c.lock().unwrap();
                    all.push(client.try_clone().unwrap());
                    all.push(server.try_clone().unwrap());
                }
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Write);
                    });
                }
            }
        });
        Gate {
            url: format!("http://127.0.0.1:{port}"),
            open,
            conns,
            port,
        }
    }

    /// Cuts every connection and refuses new ones.
    pub(crate) fn close(&self) {
        self.open.store(false, Ordering::SeqCst);
        for s in self.conns.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
        // Wake the accept loop so that it drops the listener.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A port nothing listens on.
pub(crate) fn closed_port_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// `lambda-logger serve --artifacts ARTIFACTS --spool SPOOL EXTRA...` on a free port; returns the
/// process and `http://127.0.0.1:PORT`.
pub(crate) fn serve(artifacts: &str, spool: &Path, extra: &[&str]) -> (super::procs::Proc, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lambda-logger"));
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--artifacts",
        artifacts,
        "--spool",
    ])
    .arg(spool)
    .args(extra)
    .env_remove("AWS_LAMBDA_RUNTIME_API");
    let (proc, line) = super::procs::start(cmd, "listening on http://", false);
    let url = line
        .split("http://")
        .nth(1)
        .unwrap()
        .trim_end_matches("/v1/events");
    (proc, format!("http://{url}"))
}

/// `formroute publish --artifacts DIR --bucket B --prefix routes` and `extra` flags against moto;
/// it must succeed.
pub(crate) fn publish_to(moto: &str, dir: &Path, bucket: &str, extra: &[&str]) {
    let o = Command::new(formroute_bin())
        .args(["publish", "--artifacts"])
        .arg(dir)
        .args(["--bucket", bucket, "--prefix", "routes"])
        .args(extra)
        .env("AWS_ENDPOINT_URL", moto)
        .envs(super::aws::AWS_ENV)
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "formroute publish failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
