//! The endpoint's answers (SPEC "Beacon events") through the real router: locally and from Lambda event fixtures.

mod common;

use axum::body::{to_bytes, Body};
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode};
use common::*;
use lambda_logger::{lambda, router, spool::SpoolSink, Logger, Origins, RateLimit, Sink};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt;

fn app_with_spool(spool: &std::path::Path) -> axum::Router {
    let origins = Origins::load(&artifacts()).unwrap();
    let sink = Sink::Spool(SpoolSink::open(spool).unwrap());
    router(Arc::new(Logger::new(origins, sink, false)))
}

fn app() -> (axum::Router, PathBuf) {
    let spool = temp_path("spool.ndjson");
    (app_with_spool(&spool), spool)
}

fn post(origin: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut b = Request::post("/v1/events")
        .header("content-type", "text/plain;charset=UTF-8")
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        );
    if let Some(o) = origin {
        b = b.header("origin", o);
    }
    let mut req = b.body(body.into()).unwrap();
    req.extensions_mut().insert(ConnectInfo::<SocketAddr>(
        "203.0.113.77:5555".parse().unwrap(),
    ));
    req
}

fn batch(events: &[Value]) -> String {
    json!({ "events": events }).to_string()
}

async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, Response<Body>, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let (parts, body) = res.into_parts();
    let text = String::from_utf8(to_bytes(body, 1 << 20).await.unwrap().to_vec()).unwrap();
    (status, Response::from_parts(parts, Body::empty()), text)
}

fn header<'a>(res: &'a Response<Body>, name: &str) -> Option<&'a str> {
    res.headers().get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn valid_events_are_accepted_and_spooled_as_sent_with_enrichment() {
    let (app, spool) = app();
    let sent = examples("valid");
    let (status, res, body) = call(&app, post(Some(ACME), batch(&sent))).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        body,
        format!(r#"{{"accepted":{},"rejected":0}}"#, sent.len())
    );
    assert_eq!(header(&res, "access-control-allow-origin"), Some(ACME));
    assert_eq!(header(&res, "vary"), Some("Origin"));
    let lines = read_ndjson(&spool);
    assert_eq!(lines.len(), sent.len());
    for (logged, sent) in lines.iter().zip(&sent) {
        assert_logged_as_sent(logged, sent);
        assert_eq!(logged["ip_prefix"], "203.0.113.0/24");
        assert_eq!(logged["bot"], false);
        assert!(logged["request_id"].as_str().unwrap().starts_with("local-"));
    }
    let text = std::fs::read_to_string(&spool).unwrap();
    assert!(
        !text.contains("203.0.113.77"),
        "a full IP address was stored"
    );
    assert!(text.is_ascii());
}

#[tokio::test]
async fn invalid_events_are_rejected_one_by_one_and_the_rest_kept() {
    let (app, spool) = app();
    let valid = examples("valid");
    // Events naming another brand make the whole batch 403 (tested below): leave those out.
    let invalid: Vec<Value> = examples("invalid")
        .into_iter()
        .filter(|e| e.get("brand").is_none_or(|b| b == "acme"))
        .collect();
    assert!(invalid.len() >= 30);
    let mut all = valid.clone();
    all.extend(invalid.iter().cloned());
    let (status, _, body) = call(&app, post(Some(ACME), batch(&all))).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        body,
        format!(
            r#"{{"accepted":{},"rejected":{}}}"#,
            valid.len(),
            invalid.len()
        )
    );
    assert_eq!(read_ndjson(&spool).len(), valid.len());
}

#[tokio::test]
async fn an_empty_batch_is_accepted_with_zero_counts() {
    let (app, spool) = app();
    let (status, _, body) = call(&app, post(Some(ACME), r#"{"events":[]}"#)).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::ACCEPTED, r#"{"accepted":0,"rejected":0}"#)
    );
    assert!(read_ndjson(&spool).is_empty());
}

#[tokio::test]
async fn requests_without_a_brand_origin_are_forbidden_and_get_no_cors_header() {
    let (app, spool) = app();
    let body = batch(&examples("valid"));
    for origin in [
        None,
        Some("https://evil.example"),
        Some("null"),
        Some("http://www.acme.example"),
    ] {
        let (status, res, _) = call(&app, post(origin, body.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin:?}");
        assert_eq!(header(&res, "access-control-allow-origin"), None);
    }
    assert!(read_ndjson(&spool).is_empty());
}

#[tokio::test]
async fn a_batch_naming_a_brand_that_does_not_list_the_origin_is_forbidden_as_a_whole() {
    let (app, spool) = app();
    let mut events = examples("valid");
    let mut other = events[0].clone();
    other["brand"] = json!("solar");
    events.push(other);
    let (status, res, _) = call(&app, post(Some(ACME), batch(&events))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(header(&res, "access-control-allow-origin"), Some(ACME));
    let mut unknown = examples("valid")[0].clone();
    unknown["brand"] = json!("nobody");
    let (status, _, _) = call(&app, post(Some(ACME), batch(&[unknown]))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(read_ndjson(&spool).is_empty());
}

#[tokio::test]
async fn bodies_over_64_kib_are_refused_with_413_whether_or_not_their_length_is_declared() {
    let (app, spool) = app();
    let big = format!(r#"{{"events":[],"pad":"{}"}}"#, "x".repeat(64 * 1024));
    let (status, res, _) = call(&app, post(Some(ACME), big.clone())).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(header(&res, "access-control-allow-origin"), Some(ACME));
    let stream = Body::from_stream(futures_like_stream(big.into_bytes()));
    let (status, _, _) = call(&app, post(Some(ACME), stream)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let exactly = format!(r#"{{"events":[],"pad":"{}"}}"#, "x".repeat(64 * 1024 - 22));
    assert_eq!(exactly.len(), 64 * 1024);
    let (status, _, _) = call(&app, post(Some(ACME), exactly)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(read_ndjson(&spool).is_empty());
}

/// A body in 1 KiB chunks without a Content-Length, as a chunked upload arrives.
fn futures_like_stream(
    bytes: Vec<u8>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::iter(
        bytes
            .chunks(1024)
            .map(|c| Ok(c.to_vec()))
            .collect::<Vec<_>>(),
    )
}

#[tokio::test]
async fn bodies_that_are_not_an_events_batch_are_refused_with_400() {
    let (app, _) = app();
    let too_many = batch(&vec![examples("valid")[0].clone(); 101]);
    for body in [
        "",
        "not json",
        "[]",
        r#"{"events":{}}"#,
        r#"{"evts":[]}"#,
        "\u{0}",
        too_many.as_str(),
    ] {
        let (status, res, text) = call(&app, post(Some(ACME), body.to_owned())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:.40}");
        assert_eq!(header(&res, "access-control-allow-origin"), Some(ACME));
        assert!(!text.contains("evts"));
    }
}

#[tokio::test]
async fn answers_never_echo_what_the_visitor_sent() {
    let (app, _) = app();
    let mut e = examples("valid")[0].clone();
    e["zip"] = json!("<script>ECHO-MARKER</script>");
    let mut bad = e.clone();
    bad["ECHO-MARKER"] = json!(1);
    for body in [batch(&[e, bad]), "ECHO-MARKER".to_owned()] {
        let (_, res, text) = call(&app, post(Some(ACME), body)).await;
        assert!(!text.contains("ECHO-MARKER"), "{text}");
        for (_, v) in res.headers() {
            assert!(!v.to_str().unwrap_or("").contains("ECHO"));
        }
    }
}

#[tokio::test]
async fn a_preflight_from_a_brand_origin_gets_204_with_that_origin_allowed() {
    let (app, _) = app();
    let req = Request::options("/v1/events")
        .header("origin", SOLAR)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(Body::empty())
        .unwrap();
    let (status, res, body) = call(&app, req).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(header(&res, "access-control-allow-origin"), Some(SOLAR));
    assert_eq!(header(&res, "vary"), Some("Origin"));
    assert!(header(&res, "access-control-allow-methods")
        .unwrap()
        .contains("POST"));
    assert!(body.is_empty());
    let req = Request::options("/v1/events")
        .header("origin", "https://evil.example")
        .body(Body::empty())
        .unwrap();
    let (status, res, _) = call(&app, req).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(header(&res, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn other_methods_and_paths_are_refused() {
    let (app, _) = app();
    let req = Request::get("/v1/events")
        .header("origin", ACME)
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&app, req).await.0, StatusCode::METHOD_NOT_ALLOWED);
    let mut req = post(Some(ACME), "{}");
    *req.uri_mut() = "/v2/events".parse().unwrap();
    assert_eq!(call(&app, req).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_sink_that_cannot_store_makes_the_answer_503() {
    // Writing to /dev/full fails with "no space left on device".
    let app = app_with_spool(std::path::Path::new("/dev/full"));
    let (status, res, _) = call(&app, post(Some(ACME), batch(&examples("valid")))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&res, "access-control-allow-origin"), Some(ACME));
    // Nothing accepted means nothing to store: still 202.
    let (status, _, _) = call(&app, post(Some(ACME), r#"{"events":[{"id":"x"}]}"#)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn robots_countries_and_ipv6_are_enriched_without_full_addresses() {
    let (app, spool) = app();
    let mut req = post(Some(ACME), batch(&examples("valid")[..1]));
    req.headers_mut()
        .insert("user-agent", "Googlebot/2.1".parse().unwrap());
    req.extensions_mut().insert(ConnectInfo::<SocketAddr>(
        "[2001:db8:aa:bb::7]:443".parse().unwrap(),
    ));
    assert_eq!(call(&app, req).await.0, StatusCode::ACCEPTED);
    let logged = &read_ndjson(&spool)[0];
    assert_eq!(logged["bot"], true);
    assert_eq!(logged["ip_prefix"], "2001:db8:aa::/48");
}

/// A logger behind CloudFront (`FORMROUTE_TRUST_CLOUDFRONT=1`) whose origin secret is `SECRET`.
fn app_behind_cloudfront(spool: &std::path::Path) -> axum::Router {
    let origins = Origins::load(&artifacts()).unwrap();
    let sink = Sink::Spool(SpoolSink::open(spool).unwrap());
    let logger = Logger::new(origins, sink, true).with_origin_secret(Some(SECRET.into()));
    router(Arc::new(logger))
}

const SECRET: &str = "s3cr3tOriginVerifyValue0123456789abcdef";

fn with_viewer_headers(mut req: Request<Body>, verify: Option<&str>) -> Request<Body> {
    let h = req.headers_mut();
    h.insert("cloudfront-viewer-country", "FR".parse().unwrap());
    h.insert(
        "cloudfront-viewer-address",
        "198.51.100.7:46532".parse().unwrap(),
    );
    if let Some(v) = verify {
        h.insert("x-formroute-origin-verify", v.parse().unwrap());
    }
    req
}

#[tokio::test]
async fn viewer_headers_a_visitor_sets_are_ignored_without_the_origin_secret() {
    // Run locally: never believed, whatever the visitor sends.
    let (app, spool) = app();
    let req = with_viewer_headers(
        post(Some(ACME), batch(&examples("valid")[..1])),
        Some(SECRET),
    );
    assert_eq!(call(&app, req).await.0, StatusCode::ACCEPTED);
    // Behind CloudFront, straight to the function URL: no header, or a wrong one.
    let cf_spool = temp_path("cf.ndjson");
    let cf = app_behind_cloudfront(&cf_spool);
    for verify in [None, Some("guess"), Some(&SECRET[..SECRET.len() - 1])] {
        let req = with_viewer_headers(post(Some(ACME), batch(&examples("valid")[..1])), verify);
        assert_eq!(call(&cf, req).await.0, StatusCode::ACCEPTED);
    }
    for logged in read_ndjson(&spool).iter().chain(&read_ndjson(&cf_spool)) {
        assert_eq!(logged.get("country"), None, "the visitor chose the country");
        assert_eq!(
            logged["ip_prefix"], "203.0.113.0/24",
            "the visitor chose the address"
        );
    }
    assert_eq!(read_ndjson(&cf_spool).len(), 3);
}

#[tokio::test]
async fn viewer_headers_are_believed_on_requests_carrying_the_origin_secret() {
    let spool = temp_path("cf-ok.ndjson");
    let cf = app_behind_cloudfront(&spool);
    let req = with_viewer_headers(
        post(Some(ACME), batch(&examples("valid")[..1])),
        Some(SECRET),
    );
    assert_eq!(call(&cf, req).await.0, StatusCode::ACCEPTED);
    let logged = &read_ndjson(&spool)[0];
    assert_eq!(logged["country"], "FR");
    assert_eq!(logged["ip_prefix"], "198.51.100.0/24");
}

#[tokio::test]
async fn events_whose_page_is_not_on_the_requests_origin_are_rejected() {
    let (app, spool) = app();
    let good = examples("valid")[0].clone();
    let mut pages = Vec::new();
    for page in [
        "https://www.solar.example/get-a-quote",
        "https://www.acme.example.evil.example/",
        "https://www.acme.example:8443/",
        "http://www.acme.example/",
        "https://evil.example/https://www.acme.example/",
    ] {
        let mut e = good.clone();
        e["id"] = json!(format!("forged_{}", pages.len()));
        e["page"] = json!(page);
        pages.push(e);
    }
    let mut all = vec![good.clone()];
    all.extend(pages);
    let (status, _, body) = call(&app, post(Some(ACME), batch(&all))).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body, r#"{"accepted":1,"rejected":5}"#);
    let stored = read_ndjson(&spool);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["id"], good["id"]);
}

#[tokio::test]
async fn a_network_over_its_rate_limit_gets_429_with_retry_after_and_nothing_stored() {
    let spool = temp_path("limited.ndjson");
    let origins = Origins::load(&artifacts()).unwrap();
    let sink = Sink::Spool(SpoolSink::open(&spool).unwrap());
    let logger = Logger::new(origins, sink, false).with_rate_limit(Some(RateLimit {
        events_per_sec: 1.0,
        burst: 100.0,
    }));
    let app = router(Arc::new(logger));
    let events = numbered_events("flood_", 100);
    let (status, _, _) = call(&app, post(Some(ACME), batch(&events[..60]))).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _, _) = call(&app, post(Some(ACME), batch(&events[60..100]))).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    // The burst is spent: the next batch from the same /24 waits, another network does not.
    let (status, res, _) = call(&app, post(Some(ACME), batch(&events[..10]))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&res, "access-control-allow-origin"), Some(ACME));
    let wait: u64 = header(&res, "retry-after").unwrap().parse().unwrap();
    assert!((9..=11).contains(&wait), "Retry-After: {wait}");
    assert_eq!(read_ndjson(&spool).len(), 100);
    let mut other = post(Some(ACME), batch(&events[..1]));
    other.extensions_mut().insert(ConnectInfo::<SocketAddr>(
        "198.51.100.9:5555".parse().unwrap(),
    ));
    assert_eq!(call(&app, other).await.0, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn the_default_rate_limit_stops_a_flood_from_one_network() {
    let (app, spool) = app();
    let events = numbered_events("flood_", 100);
    let mut statuses = std::collections::BTreeMap::new();
    // 200 requests of 100 events at once: 20,000 events from one address.
    for _ in 0..200 {
        let (status, _, _) = call(&app, post(Some(ACME), batch(&events))).await;
        *statuses.entry(status.as_u16()).or_insert(0) += 1;
    }
    let stored = read_ndjson(&spool).len();
    assert!(
        statuses.get(&429).copied().unwrap_or(0) >= 170,
        "{statuses:?}"
    );
    assert!(stored <= 3000, "{stored} events stored from one network");
}

#[tokio::test]
async fn only_text_plain_and_json_bodies_are_read() {
    let (app, spool) = app();
    let body = batch(&examples("valid")[..1]);
    for (ct, want) in [
        (Some("text/plain;charset=UTF-8"), StatusCode::ACCEPTED),
        (Some("application/json"), StatusCode::ACCEPTED),
        (
            Some("Application/JSON; charset=utf-8"),
            StatusCode::ACCEPTED,
        ),
        (
            Some("application/x-www-form-urlencoded"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            Some("multipart/form-data; boundary=x"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (Some("text/plainx"), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        (None, StatusCode::UNSUPPORTED_MEDIA_TYPE),
    ] {
        let mut req = post(Some(ACME), body.clone());
        match ct {
            Some(ct) => req
                .headers_mut()
                .insert("content-type", ct.parse().unwrap()),
            None => req.headers_mut().remove("content-type"),
        };
        let (status, res, _) = call(&app, req).await;
        assert_eq!(status, want, "{ct:?}");
        assert_eq!(header(&res, "access-control-allow-origin"), Some(ACME));
    }
    assert_eq!(read_ndjson(&spool).len(), 3);
}

fn lambda_fixture(name: &str) -> lambda_http::Request {
    let text = std::fs::read_to_string(fixtures().join("lambda").join(name)).unwrap();
    lambda_http::request::from_str(&text).unwrap()
}

async fn call_lambda(app: axum::Router, req: lambda_http::Request) -> (StatusCode, String) {
    let res = lambda::service(app).oneshot(req).await.unwrap();
    let status = res.status();
    let body = to_bytes(res.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn a_function_url_event_with_a_base64_body_is_accepted_and_enriched_from_its_context() {
    let (app, spool) = app();
    let (status, body) = call_lambda(app, lambda_fixture("function-url-base64.json")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::ACCEPTED, r#"{"accepted":1,"rejected":0}"#)
    );
    let logged = &read_ndjson(&spool)[0];
    let sent = examples("valid")
        .into_iter()
        .find(|e| e["id"] == "e_7f3a9c21d4b8")
        .unwrap();
    assert_logged_as_sent(logged, &sent);
    assert_eq!(logged["ip_prefix"], "198.51.100.0/24");
    assert_eq!(logged["request_id"], "6d8d4f57-2a33-4c2b-9e8f-0c1f1e2a3b4c");
    // Its CloudFront-Viewer-Country comes without the origin secret: not believed.
    assert_eq!(logged.get("country"), None);
    assert_eq!(logged["bot"], false);
}

#[tokio::test]
async fn an_api_gateway_v2_event_with_a_text_body_is_accepted_and_its_bad_event_rejected() {
    let (app, spool) = app();
    let (status, body) = call_lambda(app, lambda_fixture("apigw-v2-text.json")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::ACCEPTED, r#"{"accepted":1,"rejected":1}"#)
    );
    let logged = &read_ndjson(&spool)[0];
    assert_eq!(logged["brand"], "solar");
    assert_eq!(logged["ip_prefix"], "2001:db8:1234::/48");
    assert_eq!(logged["request_id"], "JKJaXmPLvHcESHA=");
}

#[tokio::test]
async fn a_lambda_event_from_a_foreign_origin_is_forbidden() {
    let (app, spool) = app();
    let mut req = lambda_fixture("function-url-base64.json");
    req.headers_mut()
        .insert("origin", "https://www.solar.example".parse().unwrap());
    let (status, _) = call_lambda(app, req).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(read_ndjson(&spool).is_empty());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
    /// Whatever the body, the answer is one of the SPEC's and the spool only ever holds whole events.
    #[test]
    fn any_body_gets_an_answer_from_the_spec_and_never_a_torn_spool(
        raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        page in "\\PC{0,30}",
        id in "[A-Za-z0-9_\\-]{0,70}",
        cut in 0usize..400,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (app, spool) = app();
        let mut near = examples("valid")[0].clone();
        near["id"] = json!(id);
        near["page"] = json!(format!("{ACME}{page}"));
        let text = batch(&[near]);
        let truncated = text.as_bytes()[..cut.min(text.len())].to_vec();
        for body in [raw.clone(), truncated, text.into_bytes()] {
            let (status, _, _) = rt.block_on(call(&app, post(Some(ACME), body)));
            proptest::prop_assert!(
                [202, 400, 413].contains(&status.as_u16()),
                "answer {status}"
            );
        }
        let stored = std::fs::read_to_string(&spool).unwrap_or_default();
        for line in stored.lines() {
            proptest::prop_assert!(serde_json::from_str::<Value>(line).is_ok());
        }
    }
}
