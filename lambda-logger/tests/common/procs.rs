//! Real processes for the integration tests: the lambda-logger binary, moto's queue, a tiny HTTP client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The moto server the test script started. Its absence fails the test with the command that
/// starts it (a test that cannot run must not pass).
pub(crate) fn moto_url(test: &str) -> String {
    match std::env::var("FORMROUTE_MOTO_URL") {
        Ok(u) if !u.is_empty() => u.trim_end_matches('/').to_owned(),
        _ => panic!(
            "{test}: FORMROUTE_MOTO_URL is not set: run `bash tests/run-all.sh`, or start \
             `target/test-venv/bin/moto_server -H 127.0.0.1 -p 5101` and export \
             FORMROUTE_MOTO_URL=http://127.0.0.1:5101"
        ),
    }
}

/// A child process killed when dropped; its stderr is collected.
pub(crate) struct Proc {
    pub child: Child,
    pub stderr: Arc<Mutex<String>>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cmd`, and waits until a line of its stdout (or stderr) contains `ready`; returns that line.
pub(crate) fn start(mut cmd: Command, ready: &str, from_stdout: bool) -> (Proc, String) {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let stderr = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let ready_out = from_stdout.then(|| tx.clone());
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(tx) = &ready_out {
                let _ = tx.send(line);
            }
        }
    });
    let log = stderr.clone();
    let ready_err = (!from_stdout).then_some(tx);
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            log.lock().unwrap().push_str(&line);
            log.lock().unwrap().push('\n');
            if let Some(tx) = &ready_err {
                let _ = tx.send(line);
            }
        }
    });
    let proc = Proc { child, stderr };
    loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.contains(ready) => return (proc, line),
            Ok(_) => {}
            Err(_) => panic!(
                "{cmd:?} did not print {ready:?}; stderr:\n{}",
                proc.stderr.lock().unwrap()
            ),
        }
    }
}

/// `lambda-logger serve` on a free port; returns the process and `http://127.0.0.1:PORT`.
pub(crate) fn start_logger(sink_args: &[&str], env: &[(&str, &str)]) -> (Proc, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lambda-logger"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--artifacts"])
        .arg(super::artifacts())
        .args(sink_args)
        .env_remove("AWS_LAMBDA_RUNTIME_API");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let (proc, line) = start(cmd, "listening on http://", false);
    let url = line
        .split("http://")
        .nth(1)
        .unwrap()
        .trim_end_matches("/v1/events");
    (proc, format!("http://{url}"))
}

/// One HTTP/1.1 request on a fresh connection; returns the status and the body.
pub(crate) fn http(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

/// POSTs a beacon batch from `origin`.
pub(crate) fn post_events(base: &str, origin: &str, events: &[serde_json::Value]) -> (u16, String) {
    let body = serde_json::json!({ "events": events }).to_string();
    http(
        "POST",
        &format!("{base}/v1/events"),
        &[
            ("Origin", origin),
            ("Content-Type", "text/plain;charset=UTF-8"),
            ("User-Agent", "Mozilla/5.0 (X11) Firefox/128.0"),
        ],
        &body,
    )
}
