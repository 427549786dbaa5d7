//! `formroute serve`: spawns the binary on a free port and checks pages, artifacts with CDN headers, the dev endpoints, beacons and rebuilds.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `formroute serve`, stopped when dropped.
struct Server {
    child: Child,
    addr: String,
    work: PathBuf,
    /// What it printed on stderr so far (also passed on to the test's stderr).
    stderr: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.work);
    }
}

fn start(name: &str, data: &Path, client: &Path) -> Server {
    start_with(name, data, client, &[])
}

fn start_with(name: &str, data: &Path, client: &Path, extra: &[&str]) -> Server {
    let work = std::env::temp_dir().join(format!(
        "formroute-serve-test-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&work);
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--poll-ms",
            "100",
            "--data",
        ])
        .arg(data)
        .arg("--work")
        .arg(&work)
        .arg("--client")
        .arg(client)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = Arc::new(Mutex::new(String::new()));
    let (log, err) = (stderr.clone(), child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            eprintln!("{line}");
            log.lock().unwrap().push_str(&(line + "\n"));
        }
    });
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // "formroute serve: http://127.0.0.1:PORT/"
    let addr = line
        .trim()
        .strip_prefix("formroute serve: http://")
        .and_then(|s| s.strip_suffix('/'))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    Server {
        child,
        addr,
        work,
        stderr,
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A minimal HTTP/1.1 client (one request per connection), so the test sees raw headers.
fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v == "chunked");
    if chunked {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let eol = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let n = usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap().trim(), 16)
                .unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[eol + 2..eol + 2 + n]);
            rest = &rest[eol + 2 + n + 2..];
        }
        body = out;
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn get(addr: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    http(addr, "GET", path, headers, b"")
}

fn manifest(server: &Server) -> serde_json::Value {
    serde_json::from_slice(&get(&server.addr, "/manifest.json", &[]).body).unwrap()
}

#[test]
fn serve_answers_pages_artifacts_with_cdn_headers_dev_endpoints_and_beacons() {
    let server = start("all", &repo().join("data"), &repo().join("client-js/dist"));
    let addr = server.addr.as_str();

    let page = get(addr, "/", &[]);
    assert_eq!(page.status, 200);
    assert!(page.text().contains("formroute.min.js"));
    assert_eq!(get(addr, "/example.html", &[]).status, 200);
    assert_eq!(get(addr, "/demo.js", &[]).status, 200);
    // The coverage page of the build being served, linked from the demo page.
    assert!(page.text().contains("href=\"/coverage\""));
    let coverage = get(addr, "/coverage", &[]);
    assert_eq!(coverage.status, 200);
    assert_eq!(
        coverage.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        coverage
            .text()
            .contains("<title>auto in FL (1,495 ZIPs, served): callback 1,495</title>"),
        "{}",
        coverage.text()
    );

    // The pointer: short TTL, ETag, 304 on a match, gzip when accepted.
    let m = manifest(&server);
    let artifact = m["brands"]["acme"]["artifact"]
        .as_str()
        .unwrap()
        .to_string();
    let plain = get(addr, "/acme.frt", &[]);
    assert_eq!(plain.status, 200);
    assert_eq!(
        plain.header("cache-control"),
        Some("public, max-age=60, stale-while-revalidate=86400")
    );
    assert_eq!(plain.header("content-encoding"), None);
    // Cross-origin pages may read its Resource Timing (the client's load event: cache or network).
    assert_eq!(plain.header("timing-allow-origin"), Some("*"));
    assert_eq!(
        plain.body.len() as u64,
        m["brands"]["acme"]["artifact_bytes"].as_u64().unwrap()
    );
    formroute_core::artifact::Artifact::from_bytes(&plain.body).expect("a valid artifact");
    let etag = plain.header("etag").unwrap().to_string();
    let again = get(addr, "/acme.frt", &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let gz = get(addr, "/acme.frt", &[("Accept-Encoding", "gzip, br")]);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert!(gz.body.len() < plain.body.len());
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain.body);

    // The format-2 pointer: brotli for a client that accepts it, else gzip, else plain; one ETag each.
    let v2 = get(addr, "/acme.v2.frt", &[]);
    assert_eq!(v2.status, 200);
    assert_eq!(v2.header("content-encoding"), None);
    assert_eq!(
        v2.body.len() as u64,
        m["brands"]["acme"]["artifact_v2_bytes"].as_u64().unwrap()
    );
    let a2 = formroute_core::artifact::Artifact::from_bytes(&v2.body).expect("a valid artifact");
    assert_eq!(a2.version, 2);
    let br = get(
        addr,
        "/acme.v2.frt",
        &[("Accept-Encoding", "gzip, deflate, br")],
    );
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert_eq!(br.header("vary"), Some("Accept-Encoding"));
    let mut unbrotli = Vec::new();
    brotli::BrotliDecompress(&mut &br.body[..], &mut unbrotli).unwrap();
    assert_eq!(unbrotli, v2.body);
    let gz2 = get(addr, "/acme.v2.frt", &[("Accept-Encoding", "gzip, br;q=0")]);
    assert_eq!(gz2.header("content-encoding"), Some("gzip"));
    assert!(br.body.len() < gz2.body.len() && gz2.body.len() < v2.body.len());
    let etags: std::collections::BTreeSet<_> = [&v2, &br, &gz2]
        .iter()
        .map(|r| r.header("etag").unwrap().to_string())
        .collect();
    assert_eq!(etags.len(), 3, "{etags:?}");
    let br_etag = br.header("etag").unwrap().to_string();
    let again = get(
        addr,
        "/acme.v2.frt",
        &[("Accept-Encoding", "br"), ("If-None-Match", &br_etag)],
    );
    assert_eq!(again.status, 304);

    // The hashed file: immutable, same bytes.
    let hashed = get(addr, &format!("/a/{artifact}"), &[]);
    assert_eq!(
        hashed.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(hashed.body, plain.body);
    assert_eq!(hashed.header("timing-allow-origin"), Some("*"));
    assert_eq!(get(addr, "/nobrand.frt", &[]).status, 404);

    // The snippet: client-js/dist is committed, and compiled in for when serve runs elsewhere.
    let snippet = get(addr, "/formroute.min.js", &[]);
    assert_eq!(snippet.status, 200);
    let committed = std::fs::read(repo().join("client-js/dist/formroute.min.js")).unwrap();
    assert_eq!(snippet.body, committed);

    // The dev endpoint: the reference resolver's line and the row that decided.
    let e: serde_json::Value = serde_json::from_slice(
        &get(
            addr,
            "/dev/explain?brand=acme&zip=10001&product=auto&language=en",
            &[],
        )
        .body,
    )
    .unwrap();
    assert_eq!(e["result"]["ok"], true);
    assert!(e["decided_by"].as_str().unwrap().contains(".csv:"), "{e}");
    let unknown: serde_json::Value = serde_json::from_slice(
        &get(addr, "/dev/explain?brand=acme&zip=abc&product=auto", &[]).body,
    )
    .unwrap();
    assert_eq!(unknown["result"]["error"], "invalid_zip");
    let brands: serde_json::Value =
        serde_json::from_slice(&get(addr, "/dev/brands", &[]).body).unwrap();
    assert!(
        brands["brands"]["acme"]["products"]
            .as_array()
            .unwrap()
            .len()
            >= 2
    );

    // A beacon from the demo page's own origin lands in the spool file.
    let origin = format!("http://{addr}");
    // The page is on that origin, as a real page's `location.origin + pathname` is.
    let body = format!(
        r#"{{"events":[{{"id":"serve-test-1","type":"load","ts":1700000000000,"brand":"acme","page":"{origin}/","pv":"pageview-1","ms":2}}]}}"#
    );
    let body = body.as_bytes();
    let beacon = http(
        addr,
        "POST",
        "/v1/events",
        &[("Origin", &origin), ("Content-Type", "text/plain")],
        body,
    );
    assert_eq!(beacon.status, 202, "{}", beacon.text());
    assert_eq!(beacon.text(), r#"{"accepted":1,"rejected":0}"#);
    let spool = std::fs::read_to_string(server.work.join("events.ndjson")).unwrap();
    assert!(spool.contains(r#""id":"serve-test-1""#), "{spool}");
    // Any other origin is not a brand's and is refused.
    let refused = http(
        addr,
        "POST",
        "/v1/events",
        &[("Origin", "https://evil.example")],
        body,
    );
    assert_eq!(refused.status, 403);
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn serve_rebuilds_on_change_and_keeps_the_last_good_build_when_one_fails() {
    let data = scratch("serve-data");
    write_sample_data(&data, |_, text| text);
    // Started where there is no client-js/dist: the snippet compiled into the binary is served.
    let server = start("rebuild", &data, &data.join("no-client-here"));
    let snippet = get(&server.addr, "/formroute.min.js", &[]);
    assert_eq!(snippet.status, 200);
    let committed = std::fs::read(repo().join("client-js/dist/formroute.min.js")).unwrap();
    assert_eq!(snippet.body, committed);
    let first = manifest(&server)["brands"]["acme"]["artifact"].clone();

    // A broken rules.csv: the build is refused, the old artifacts stay served.
    let rules = std::fs::read_to_string(data.join("rules.csv")).unwrap();
    std::fs::write(data.join("rules.csv"), format!("{rules}acme,*,ZZ,direct\n")).unwrap();
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(manifest(&server)["brands"]["acme"]["artifact"], first);
    assert_eq!(get(&server.addr, "/acme.frt", &[]).status, 200);

    // A good change: acme's new name is served after the rebuild, and FL auto goes to agents.
    std::fs::write(
        data.join("rules.csv"),
        format!("{rules}acme,auto,FL,agent\n"),
    )
    .unwrap();
    let brands = std::fs::read_to_string(data.join("brands.csv")).unwrap();
    std::fs::write(
        data.join("brands.csv"),
        brands.replace("acme,Acme Insurance,", "acme,Acme Renamed,"),
    )
    .unwrap();
    wait_for("the rebuild", || {
        manifest(&server)["brands"]["acme"]["name"] == "Acme Renamed"
    });
    assert_ne!(manifest(&server)["brands"]["acme"]["artifact"], first);
    assert!(get(&server.addr, "/coverage", &[])
        .text()
        .contains("<title>auto in FL (1,495 ZIPs, served): agent 1,495</title>"));
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn serve_sends_the_client_files_compressed_with_a_strong_etag_cors_and_a_pointer_lifetime() {
    let server = start(
        "snippet",
        &repo().join("data"),
        &repo().join("client-js/dist"),
    );
    let addr = server.addr.as_str();
    for file in ["formroute.min.js", "formroute.esm.js"] {
        let path = format!("/{file}");
        let committed = std::fs::read(repo().join("client-js/dist").join(file)).unwrap();
        let plain = get(addr, &path, &[]);
        let br = get(addr, &path, &[("Accept-Encoding", "gzip, deflate, br")]);
        let gz = get(addr, &path, &[("Accept-Encoding", "gzip")]);
        assert_eq!(plain.body, committed, "{file}");
        assert_eq!(plain.header("content-encoding"), None);
        assert_eq!(br.header("content-encoding"), Some("br"), "{file}");
        let mut unbrotli = Vec::new();
        brotli::BrotliDecompress(&mut &br.body[..], &mut unbrotli).unwrap();
        assert_eq!(unbrotli, committed);
        assert_eq!(gz.header("content-encoding"), Some("gzip"));
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&gz.body[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, committed);
        assert!(br.body.len() < gz.body.len() && gz.body.len() < plain.body.len());
        for r in [&plain, &br, &gz] {
            assert_eq!(r.status, 200);
            assert_eq!(
                r.header("content-type"),
                Some("text/javascript; charset=utf-8")
            );
            // Importable (the ESM build) and timed (Resource Timing) from any page.
            assert_eq!(r.header("access-control-allow-origin"), Some("*"));
            assert_eq!(r.header("timing-allow-origin"), Some("*"));
            assert_eq!(r.header("vary"), Some("Accept-Encoding"));
            assert_eq!(
                r.header("cache-control"),
                Some("public, max-age=60, stale-while-revalidate=86400")
            );
        }
        // Strong ETags (no W/), one per encoding; If-None-Match gives 304 for that encoding only.
        let etags: std::collections::BTreeSet<_> = [&plain, &br, &gz]
            .iter()
            .map(|r| r.header("etag").unwrap().to_string())
            .collect();
        assert_eq!(etags.len(), 3, "{etags:?}");
        assert!(etags.iter().all(|e| e.starts_with('"')), "{etags:?}");
        let br_etag = br.header("etag").unwrap();
        let again = get(
            addr,
            &path,
            &[("Accept-Encoding", "br"), ("If-None-Match", br_etag)],
        );
        assert_eq!(again.status, 304);
        assert!(again.body.is_empty());
        assert_eq!(
            get(addr, &path, &[("If-None-Match", br_etag)]).status,
            200,
            "another encoding's ETag does not match"
        );
    }
}

/// A beacon of `brand` from a page on `origin`, posted to `addr`: the status.
fn beacon_from(addr: &str, origin: &str, brand: &str) -> Reply {
    let body = format!(
        r#"{{"events":[{{"id":"staging-{brand}","type":"load","ts":1700000000000,"brand":"{brand}","page":"{origin}/quote","pv":"pageview-s","ms":2}}]}}"#
    );
    http(
        addr,
        "POST",
        "/v1/events",
        &[("Origin", origin), ("Content-Type", "text/plain")],
        body.as_bytes(),
    )
}

#[test]
fn serve_refuses_a_staging_origin_unless_allow_origin_names_it_then_accepts_it_for_every_brand() {
    const STAGING: &str = "https://staging.acme.example";
    let plain = start(
        "no-allow",
        &repo().join("data"),
        &repo().join("client-js/dist"),
    );
    assert_eq!(beacon_from(&plain.addr, STAGING, "acme").status, 403);
    drop(plain);

    let server = start_with(
        "allow",
        &repo().join("data"),
        &repo().join("client-js/dist"),
        &[
            "--allow-origin",
            "https://staging.acme.example/",
            "--allow-origin",
            "http://localhost:5173",
        ],
    );
    for brand in ["acme", "lakeside", "solis"] {
        let r = beacon_from(&server.addr, STAGING, brand);
        assert_eq!(r.status, 202, "{brand}: {}", r.text());
        assert_eq!(r.text(), r#"{"accepted":1,"rejected":0}"#);
    }
    assert_eq!(beacon_from(&server.addr, STAGING, "nobrand").status, 403);
    assert_eq!(
        beacon_from(&server.addr, "https://evil.example", "acme").status,
        403
    );
    assert!(
        server.stderr.lock().unwrap().contains(
            "formroute: also accepting beacons for every brand from http://localhost:5173, https://staging.acme.example (--allow-origin)"
        ),
        "{}",
        server.stderr.lock().unwrap()
    );
}

#[test]
fn serve_with_an_allow_origin_that_is_no_origin_stops_saying_what_to_give() {
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(repo().join("data"))
        .args(["--allow-origin", "staging.acme.example"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "--allow-origin staging.acme.example: not an origin: give scheme://host[:port]"
        ),
        "{err}"
    );
}
