//! The HTTP lookup under `lambda-logger serve`: `/v1/resolve` prints `formroute resolve`'s bytes, `/v1/go` redirects, bad input gets a clear answer, lookups are logged, and a rebuilt folder is picked up.
//!
//! Real processes: `formroute build` and `formroute resolve` (the target folder's `formroute`
//! binary) and `lambda-logger serve`. The whole conformance set goes through HTTP in
//! tests/conformance/http.test.mjs; this file checks the edges.

mod common;

use common::lookup::*;
use common::procs::post_events;
use common::*;
use serde_json::Value;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

/// A build of data/ in a fresh folder, served with a spool file.
fn served(extra: &[&str]) -> (procs::Proc, String, std::path::PathBuf, std::path::PathBuf) {
    let root = temp_path("lookup");
    let (data, out, spool) = (
        root.join("data"),
        root.join("out"),
        root.join("spool.ndjson"),
    );
    write_data(&data, false);
    build(&data, &out);
    let (p, base) = serve(out.to_str().unwrap(), &spool, extra);
    (p, base, out, spool)
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

#[test]
fn resolve_answers_exactly_the_line_formroute_resolve_prints() {
    let (_p, base, out, _) = served(&[]);
    for (query, args) in [
        (
            "brand=acme&zip=10001&product=auto&language=es-MX",
            vec![
                "--brand",
                "acme",
                "--zip",
                "10001",
                "--product",
                "auto",
                "--language",
                "es-MX",
            ],
        ),
        // `+` is a space and %09 a tab, as a form sends them; SPEC trims them.
        (
            "brand=solis&zip=+00901%09&product=Moto",
            vec!["--brand", "solis", "--zip", " 00901\t", "--product", "Moto"],
        ),
        // A missing parameter is an empty value.
        (
            "brand=acme&product=auto",
            vec!["--brand", "acme", "--zip", "", "--product", "auto"],
        ),
        ("", vec!["--brand", "", "--zip", "", "--product", ""]),
        (
            "brand=lakeside&zip=99950&product=boat&language=",
            vec!["--brand", "lakeside", "--zip", "99950", "--product", "boat"],
        ),
        (
            "brand=acme&zip=10001&product=%C3%A1uto&language=zh-Hant",
            vec![
                "--brand",
                "acme",
                "--zip",
                "10001",
                "--product",
                "áuto",
                "--language",
                "zh-Hant",
            ],
        ),
    ] {
        let a = get(&base, &format!("/v1/resolve?{query}"));
        assert_eq!(a.status, 200, "{query}: {}", a.text());
        assert_eq!(a.header("content-type"), Some("application/json"));
        assert_eq!(a.header("access-control-allow-origin"), Some("*"));
        assert_eq!(a.header("cache-control"), Some("public, max-age=30"));
        let args: Vec<&OsStr> = args.into_iter().map(os).collect();
        assert_eq!(
            a.text(),
            String::from_utf8(cli_resolve(&out, &args)).unwrap(),
            "{query}"
        );
    }
}

#[test]
fn go_redirects_to_the_form_else_to_the_fallback_and_an_unknown_brand_gets_a_404_page() {
    let (_p, base, out, _) = served(&[]);
    let line = |args: &[&str]| -> Value {
        let args: Vec<&OsStr> = args.iter().map(|a| os(a)).collect();
        serde_json::from_slice(&cli_resolve(&out, &args)).unwrap()
    };
    let ok = line(&["--brand", "acme", "--zip", "10001", "--product", "home"]);
    let a = get(&base, "/v1/go?brand=acme&zip=10001&product=home");
    assert_eq!(a.status, 302);
    assert_eq!(a.header("location"), ok["url"].as_str());
    assert_eq!(a.header("cache-control"), Some("no-store"));

    let failed = line(&["--brand", "acme", "--zip", "00000", "--product", "home"]);
    assert_eq!(failed["ok"], false);
    let a = get(&base, "/v1/go?brand=acme&zip=00000&product=home");
    assert_eq!(a.status, 302);
    assert_eq!(a.header("location"), failed["fallback_url"].as_str());

    let a = get(&base, "/v1/go?brand=nobody&zip=10001&product=home");
    assert_eq!(a.status, 404);
    assert_eq!(a.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(a.text().contains("<title>Form not found</title>"));
    assert!(!a.text().contains("nobody"));
}

#[test]
fn bad_input_gets_a_clear_4xx_or_specs_answer_and_is_never_reflected() {
    let (mut p, base, out, _) = served(&[]);
    let marker = "%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    // Over-long: 414, on both routes, as a fixed text.
    let long = format!("brand=acme&zip={}&product={marker}", "1".repeat(17_000));
    for route in ["/v1/resolve", "/v1/go"] {
        let a = get(&base, &format!("{route}?{long}"));
        assert_eq!(a.status, 414, "{route}");
        assert!(!a.text().contains("<script>") && !a.text().contains("111"));
    }
    // Repeated parameters: 400.
    for route in ["/v1/resolve", "/v1/go"] {
        let a = get(
            &base,
            &format!("{route}?brand=acme&zip=10001&zip={marker}&product=auto"),
        );
        assert_eq!(a.status, 400, "{route}");
        assert!(!a.text().contains("script"), "{}", a.text());
    }
    // Percent-encoded bytes that are not UTF-8: SPEC's answer for U+FFFD, as `formroute resolve`
    // gives for the same bytes.
    let a = get(&base, "/v1/resolve?brand=acme&zip=10001&product=%FFauto%C3");
    assert_eq!(a.status, 200);
    let cli = cli_resolve(
        &out,
        &[
            os("--brand"),
            os("acme"),
            os("--zip"),
            os("10001"),
            os("--product"),
            OsStr::from_bytes(b"\xffauto\xc3"),
        ],
    );
    assert_eq!(a.body, cli);
    assert!(a.text().contains("unknown_product"));
    // Raw bytes over 0x7F in the request line: refused by the HTTP layer, or answered; never a crash.
    let a = get_raw(
        &base,
        b"/v1/resolve?brand=acme&zip=1\xff\xfe0001&product=auto",
        &[],
    );
    assert!(a.status == 400 || a.status == 200, "{}", a.status);
    // Brands with path characters are just unknown brands.
    for brand in [
        "..%2Facme",
        "acme%2F..%2F",
        "%2Fetc%2Fpasswd",
        "acme%00",
        marker,
    ] {
        let a = get(
            &base,
            &format!("/v1/resolve?brand={brand}&zip=10001&product=auto"),
        );
        assert_eq!(a.status, 200);
        assert_eq!(
            a.text(),
            "{\"ok\":false,\"error\":\"unknown_brand\",\"fallback_url\":null}\n"
        );
        let a = get(
            &base,
            &format!("/v1/go?brand={brand}&zip={marker}&product={marker}"),
        );
        assert_eq!(a.status, 404);
        let page = a.text();
        assert!(
            !page.contains("script") && !page.contains("passwd") && !page.contains(".."),
            "{page}"
        );
    }
    // The hostile values of a found brand stay inside the JSON line and the encoded URL.
    let a = get(
        &base,
        &format!("/v1/go?brand=acme&zip=10001&product={marker}"),
    );
    assert_eq!(a.status, 302);
    assert!(a.header("location").unwrap().contains("%3Cscript%3E"));
    assert!(p.child.try_wait().unwrap().is_none(), "the server exited");
    let a = get(&base, "/v1/resolve?brand=acme&zip=10001&product=auto");
    assert_eq!(a.status, 200);
}

#[test]
fn lookups_are_logged_as_server_resolve_events_with_a_truncated_ip() {
    let (_p, base, _, spool) = served(&[]);
    let a = get_raw(
        &base,
        b"/v1/go?brand=acme&zip=10001&product=home&language=es",
        &[
            ("Referer", "https://www.acme.example/quote?utm=x"),
            ("User-Agent", "Mozilla/5.0 Firefox/128.0"),
        ],
    );
    assert_eq!(a.status, 302);
    let long = "9".repeat(100);
    assert_eq!(
        get(
            &base,
            &format!("/v1/resolve?brand=acme&zip={long}&product=auto")
        )
        .status,
        200
    );
    // Unknown brands are not logged (no valid event can name them).
    assert_eq!(
        get(&base, "/v1/resolve?brand=..%2Fx&zip=10001&product=auto").status,
        200
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut events = read_ndjson(&spool);
    while events.len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        events = read_ndjson(&spool);
    }
    assert_eq!(events.len(), 2, "{events:?}");
    let go = &events[0];
    assert_eq!(go["type"], "resolve");
    assert_eq!(go["source"], "server");
    assert_eq!(go["brand"], "acme");
    assert_eq!(go["ok"], true);
    assert_eq!(go["language_used"], "es");
    assert_eq!(go["page"], "https://www.acme.example/quote");
    assert_eq!(go["ip_prefix"], "127.0.0.0/24");
    assert_eq!(go["bot"], false);
    let resolve = &events[1];
    assert_eq!(resolve["ok"], false);
    assert_eq!(resolve["error"], "invalid_zip");
    assert_eq!(
        resolve["zip"].as_str().unwrap().len(),
        64,
        "cut to the schema's 64"
    );
    let text = std::fs::read_to_string(&spool).unwrap();
    assert!(
        !text.contains("127.0.0.1"),
        "a full IP address was stored: {text}"
    );
    // What the logger wrote is a valid event of the schema, apart from `source: server`.
    for e in &events {
        let mut e = e.clone();
        let m = e.as_object_mut().unwrap();
        for k in [
            "source",
            "received",
            "request_id",
            "ua",
            "ip_prefix",
            "bot",
            "country",
        ] {
            m.remove(k);
        }
        formroute_events::Event::from_value(e).unwrap();
    }
}

#[test]
fn a_rebuilt_folder_is_picked_up_within_the_refresh_time() {
    let (_p, base, out, _) = served(&["--refresh-secs", "1"]);
    let nova_event = || {
        let mut e = numbered_events("nova_", 1).remove(0);
        e["brand"] = "nova".into();
        e["page"] = format!("{NOVA_ORIGIN}/quote").into();
        e
    };
    assert_eq!(post_events(&base, NOVA_ORIGIN, &[nova_event()]).0, 403);
    let q = "/v1/resolve?brand=nova&zip=10001&product=auto";
    assert!(get(&base, q).text().contains("unknown_brand"));

    // `formroute build` replaces the folder in place.
    let data = out.with_file_name("data-b");
    write_data(&data, true);
    build(&data, &out);
    let started = Instant::now();
    while !get(&base, q).text().contains("\"ok\":true") {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the new build was not picked up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("picked up after {:?}", started.elapsed());
    let (status, body) = post_events(&base, NOVA_ORIGIN, &[nova_event()]);
    assert_eq!(
        (status, body.as_str()),
        (202, r#"{"accepted":1,"rejected":0}"#)
    );
    let args: Vec<&OsStr> = ["--brand", "nova", "--zip", "10001", "--product", "auto"]
        .map(os)
        .to_vec();
    assert_eq!(get(&base, q).body, cli_resolve(&out, &args));

    // A broken folder is refused and the last good build keeps answering.
    let manifest = out.join("manifest.json");
    let good = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, good.replace("\"brands\"", "\"brandz\"")).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(get(&base, q).text().contains("\"ok\":true"));
    assert_eq!(post_events(&base, NOVA_ORIGIN, &[nova_event()]).0, 202);
}
