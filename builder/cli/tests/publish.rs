//! `formroute publish` and `formroute rollback` against a real S3 + CloudFront server (moto over HTTP).
//!
//! Needs `FORMROUTE_MOTO_URL` (tests/run-all.sh starts moto and exports it); without it each test
//! fails with the command that starts moto. The killed-publish test also needs the test-only
//! feature `fault-injection` (tests/run-all.sh passes it).

mod common;

use aws_sdk_s3::Client as S3;
use common::*;
use formroute_core::artifact::Artifact;
use formroute_core::manifest::Manifest;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The moto server's URL; its absence fails the test with the command that starts it.
fn moto() -> String {
    match std::env::var("FORMROUTE_MOTO_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "FORMROUTE_MOTO_URL is not set: run `bash tests/run-all.sh`, or start \
             `target/test-venv/bin/moto_server -H 127.0.0.1 -p 5101` and export \
             FORMROUTE_MOTO_URL=http://127.0.0.1:5101"
        ),
    }
}

/// Three builds of the sample data: v0 as it is, v1 and v2 with acme's display name changed
/// (so only acme's artifact differs between them). Built once per test process.
fn builds() -> &'static [PathBuf; 3] {
    static BUILDS: OnceLock<[PathBuf; 3]> = OnceLock::new();
    BUILDS.get_or_init(|| {
        let root = scratch("builds");
        let mut out = Vec::new();
        for (i, name) in ["Acme Insurance", "Acme Insurance Group", "Acme Group"]
            .iter()
            .enumerate()
        {
            let data = root.join(format!("data{i}"));
            write_sample_data(&data, |f, text| {
                if f != "brands.csv" {
                    return text;
                }
                assert!(text.contains("acme,Acme Insurance,"));
                text.replace("acme,Acme Insurance,", &format!("acme,{name},"))
            });
            let dir = root.join(format!("out{i}"));
            build(&data, &dir);
            out.push(dir);
        }
        [out[0].clone(), out[1].clone(), out[2].clone()]
    })
}

fn manifest(dir: &Path) -> Manifest {
    Manifest::from_json(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

fn formroute(url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("AWS_ENDPOINT_URL", url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("FORMROUTE_PUBLISH_FAIL_AFTER");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Runs a command that must succeed; returns its stdout summary as JSON.
fn ok(url: &str, args: &[&str]) -> Value {
    let out = formroute(url, args, &[]);
    assert!(
        out.status.success(),
        "formroute {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn publish(url: &str, dir: &Path, bucket: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "publish",
        "--artifacts",
        dir.to_str().unwrap(),
        "--bucket",
        bucket,
        "--prefix",
        "cdn/v1",
    ];
    args.extend_from_slice(extra);
    ok(url, &args)
}

/// `rollback --bucket BUCKET --prefix cdn/v1` then `extra` flags.
fn rollback_args<'a>(bucket: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["rollback", "--bucket", bucket, "--prefix", "cdn/v1"];
    args.extend_from_slice(extra);
    args
}

struct Moto {
    url: String,
    rt: tokio::runtime::Runtime,
    s3: S3,
    cf: aws_sdk_cloudfront::Client,
}

impl Moto {
    fn new(url: String) -> Moto {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let (s3, cf) = rt.block_on(async {
            let creds =
                aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "test");
            let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .endpoint_url(&url)
                .region(aws_config::Region::new("us-east-1"))
                .credentials_provider(creds)
                .load()
                .await;
            let s3conf = aws_sdk_s3::config::Builder::from(&conf)
                .force_path_style(true)
                .build();
            (
                S3::from_conf(s3conf),
                aws_sdk_cloudfront::Client::new(&conf),
            )
        });
        Moto { url, rt, s3, cf }
    }

    fn bucket(&self, name: &str) -> String {
        let bucket = format!("{name}-{}", std::process::id());
        self.rt
            .block_on(self.s3.create_bucket().bucket(&bucket).send())
            .unwrap();
        bucket
    }

    /// The object's bytes (gunzipped when stored with `Content-Encoding: gzip`), or None.
    fn get(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        self.rt.block_on(async {
            let out = self
                .s3
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .ok()?;
            let gz = out.content_encoding() == Some("gzip");
            let bytes = out.body.collect().await.unwrap().into_bytes().to_vec();
            if gz {
                let mut plain = Vec::new();
                std::io::copy(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut plain).unwrap();
                Some(plain)
            } else {
                Some(bytes)
            }
        })
    }

    fn head(
        &self,
        bucket: &str,
        key: &str,
    ) -> aws_sdk_s3::operation::head_object::HeadObjectOutput {
        self.rt
            .block_on(self.s3.head_object().bucket(bucket).key(key).send())
            .unwrap_or_else(|e| panic!("HEAD {key}: {e:?}"))
    }

    /// key -> (etag, last modified) of everything in the bucket.
    fn listing(&self, bucket: &str) -> BTreeMap<String, (String, String)> {
        self.rt.block_on(async {
            let out = self
                .s3
                .list_objects_v2()
                .bucket(bucket)
                .send()
                .await
                .unwrap();
            out.contents()
                .iter()
                .map(|o| {
                    (
                        o.key().unwrap().to_string(),
                        (
                            o.e_tag().unwrap_or_default().to_string(),
                            format!("{:?}", o.last_modified()),
                        ),
                    )
                })
                .collect()
        })
    }

    // moto's CloudFront wants the legacy cache settings (ForwardedValues, MinTTL).
    #[allow(deprecated)]
    fn distribution(&self, name: &str) -> String {
        use aws_sdk_cloudfront::types::*;
        let origin = Origin::builder()
            .id("s3")
            .domain_name("bucket.s3.amazonaws.com")
            .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
            .build()
            .unwrap();
        let behaviour = DefaultCacheBehavior::builder()
            .target_origin_id("s3")
            .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
            .min_ttl(0)
            .forwarded_values(
                ForwardedValues::builder()
                    .query_string(false)
                    .cookies(
                        CookiePreference::builder()
                            .forward(ItemSelection::None)
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .trusted_signers(
                TrustedSigners::builder()
                    .enabled(false)
                    .quantity(0)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let config = DistributionConfig::builder()
            .caller_reference(format!("formroute-test-{name}-{}", std::process::id()))
            .origins(
                Origins::builder()
                    .quantity(1)
                    .items(origin)
                    .build()
                    .unwrap(),
            )
            .default_cache_behavior(behaviour)
            .comment("formroute tests")
            .enabled(true)
            .build()
            .unwrap();
        self.rt.block_on(async {
            let out = self
                .cf
                .create_distribution()
                .distribution_config(config)
                .send()
                .await
                .unwrap();
            out.distribution().unwrap().id().to_string()
        })
    }

    fn invalidated_paths(&self, distribution: &str, id: &str) -> Vec<String> {
        self.rt.block_on(async {
            let out = self
                .cf
                .get_invalidation()
                .distribution_id(distribution)
                .id(id)
                .send()
                .await
                .unwrap();
            let mut paths = out
                .invalidation()
                .unwrap()
                .invalidation_batch()
                .unwrap()
                .paths()
                .unwrap()
                .items()
                .to_vec();
            paths.sort();
            paths
        })
    }
}

#[test]
fn publish_puts_immutable_hashed_files_then_short_lived_pointers_and_manifest() {
    let url = moto();
    let m = Moto::new(url);
    let bucket = m.bucket("objects");
    let dir = &builds()[0];
    let local = manifest(dir);
    let summary = publish(&m.url, dir, &bucket, &[]);
    assert_eq!(summary["present"], 0);

    for (brand, e) in &local.brands {
        for file in [&e.artifact, &e.explain] {
            let key = format!("cdn/v1/a/{file}");
            let head = m.head(&bucket, &key);
            assert_eq!(
                head.cache_control(),
                Some("public, max-age=31536000, immutable"),
                "{key}"
            );
            assert_eq!(
                head.content_type(),
                Some("application/octet-stream"),
                "{key}"
            );
            assert_eq!(head.content_encoding(), Some("gzip"), "{key}");
            assert_eq!(
                m.get(&bucket, &key).unwrap(),
                std::fs::read(dir.join(file)).unwrap()
            );
        }
        let pointer = format!("cdn/v1/{brand}.frt");
        let head = m.head(&bucket, &pointer);
        assert_eq!(
            head.cache_control(),
            Some("public, max-age=60, stale-while-revalidate=86400")
        );
        assert_eq!(head.content_encoding(), Some("gzip"));
        assert_eq!(
            head.metadata().unwrap().get("formroute-artifact"),
            Some(&e.artifact)
        );
        let bytes = m.get(&bucket, &pointer).unwrap();
        assert_eq!(bytes, std::fs::read(dir.join(&e.artifact)).unwrap());
        Artifact::from_bytes(&bytes).expect("the pointer is a valid artifact");
    }
    let live = m.get(&bucket, "cdn/v1/manifest.json").unwrap();
    assert_eq!(live, std::fs::read(dir.join("manifest.json")).unwrap());
    let build = summary["build"].as_str().unwrap();
    assert_eq!(
        m.get(&bucket, &format!("cdn/v1/builds/{build}.json"))
            .unwrap(),
        live
    );
    assert_eq!(
        m.head(&bucket, "cdn/v1/manifest.json").cache_control(),
        Some("public, max-age=60, stale-while-revalidate=86400")
    );
}

#[test]
fn publishing_an_unchanged_build_again_uploads_nothing() {
    let url = moto();
    let m = Moto::new(url);
    let bucket = m.bucket("unchanged");
    let dir = &builds()[0];
    let first = publish(&m.url, dir, &bucket, &[]);
    assert!(first["writes"].as_u64().unwrap() > 0);
    let before = m.listing(&bucket);
    let again = publish(&m.url, dir, &bucket, &[]);
    assert_eq!(again["writes"], 0, "{again}");
    assert_eq!(again["invalidated"], serde_json::json!([]));
    assert_eq!(m.listing(&bucket), before, "no object was rewritten");
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let url = moto();
    let m = Moto::new(url);
    let bucket = m.bucket("dryrun");
    let dir = builds()[0].to_str().unwrap();
    let out = formroute(
        &m.url,
        &[
            "publish",
            "--artifacts",
            dir,
            "--bucket",
            &bucket,
            "--dry-run",
        ],
        &[],
    );
    assert!(out.status.success());
    let plan = String::from_utf8(out.stdout).unwrap();
    assert!(plan.contains("point    acme.frt -> a/acme."), "{plan}");
    assert!(plan.contains("write    manifest.json"), "{plan}");
    // No --distribution: the CDN paths are named as not invalidated, never as done.
    assert!(!plan.contains("\ninvalidate "), "{plan}");
    assert!(
        plan.contains("no-cdn   /manifest.json (would be invalidated with --distribution)"),
        "{plan}"
    );
    assert!(m.listing(&bucket).is_empty());
}

#[test]
fn invalidations_name_only_the_pointers_that_changed() {
    let url = moto();
    let m = Moto::new(url);
    let bucket = m.bucket("invalidate");
    let dist = m.distribution("invalidate");
    let first = publish(&m.url, &builds()[0], &bucket, &["--distribution", &dist]);
    let id = first["invalidation"].as_str().unwrap();
    assert_eq!(
        m.invalidated_paths(&dist, id),
        [
            "/cdn/v1/acme.frt",
            "/cdn/v1/lakeside.frt",
            "/cdn/v1/manifest.json",
            "/cdn/v1/solis.frt"
        ]
    );
    // Only acme's artifact differs in the second build.
    let second = publish(&m.url, &builds()[1], &bucket, &["--distribution", &dist]);
    let id = second["invalidation"].as_str().unwrap();
    assert_eq!(
        m.invalidated_paths(&dist, id),
        ["/cdn/v1/acme.frt", "/cdn/v1/manifest.json"]
    );
    // Nothing changed: no invalidation at all.
    let third = publish(&m.url, &builds()[1], &bucket, &["--distribution", &dist]);
    assert_eq!(third["invalidation"], Value::Null);
}

/// Every brand's pointer is a complete artifact of the old or the new build, and every file the
/// live manifest names is there.
fn assert_live_and_whole(m: &Moto, bucket: &str, prefix: &str, old: &Path, new: &Path) {
    let (mo, mn) = (manifest(old), manifest(new));
    for brand in mo.brands.keys() {
        let bytes = m
            .get(bucket, &format!("{prefix}/{brand}.frt"))
            .unwrap_or_else(|| panic!("{brand}.frt is missing"));
        let is_old = bytes == std::fs::read(old.join(&mo.brands[brand].artifact)).unwrap();
        let is_new = bytes == std::fs::read(new.join(&mn.brands[brand].artifact)).unwrap();
        assert!(
            is_old || is_new,
            "{brand}.frt is neither the old nor the new artifact"
        );
        Artifact::from_bytes(&bytes).unwrap();
    }
    let live = m.get(bucket, &format!("{prefix}/manifest.json")).unwrap();
    let live = Manifest::from_json(std::str::from_utf8(&live).unwrap()).unwrap();
    assert!(live == mo || live == mn);
    for e in live.brands.values() {
        for file in [&e.artifact, &e.explain] {
            assert!(
                m.get(bucket, &format!("{prefix}/a/{file}")).is_some(),
                "{file} missing"
            );
        }
    }
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the test-only hook: cargo test -p formroute --features fault-injection (tests/run-all.sh does)"
)]
fn a_publish_killed_at_any_step_leaves_the_live_version_working() {
    let url = moto();
    let m = Moto::new(url);
    let bucket = m.bucket("killed");
    let [old, new, _] = builds();
    for k in 0.. {
        let prefix = format!("k{k}");
        let args = |dir: &Path| {
            vec![
                "publish".to_string(),
                "--artifacts".into(),
                dir.to_str().unwrap().into(),
                "--bucket".into(),
                bucket.clone(),
                "--prefix".into(),
                prefix.clone(),
            ]
        };
        let a: Vec<String> = args(old);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        ok(&m.url, &a);
        let b: Vec<String> = args(new);
        let b: Vec<&str> = b.iter().map(String::as_str).collect();
        let killed = formroute(
            &m.url,
            &b,
            &[("FORMROUTE_PUBLISH_FAIL_AFTER", &k.to_string())],
        );
        let finished = killed.status.success();
        if !finished {
            assert_eq!(
                killed.status.code(),
                Some(75),
                "{}",
                String::from_utf8_lossy(&killed.stderr)
            );
        }
        assert_live_and_whole(&m, &bucket, &prefix, old, new);
        // Publishing again completes the new build.
        ok(&m.url, &b);
        let acme = m.get(&bucket, &format!("{prefix}/acme.frt")).unwrap();
        assert_eq!(
            acme,
            std::fs::read(new.join(&manifest(new).brands["acme"].artifact)).unwrap()
        );
        if finished {
            assert!(k > 3, "the publish of a changed build has several writes");
            break;
        }
    }
}

#[test]
fn rollback_repoints_a_brand_or_all_and_invalidates_what_changed() {
    let url = moto();
    let m = Moto::new(url);
    let bucket = m.bucket("rollback");
    let dist = m.distribution("rollback");
    let [b0, b1, _] = builds();
    let first = publish(&m.url, b0, &bucket, &[]);
    let second = publish(&m.url, b1, &bucket, &[]);
    let artifact =
        |dir: &Path| std::fs::read(dir.join(&manifest(dir).brands["acme"].artifact)).unwrap();
    assert_eq!(m.get(&bucket, "cdn/v1/acme.frt").unwrap(), artifact(b1));

    let back = ok(
        &m.url,
        &rollback_args(&bucket, &["--brand", "acme", "--distribution", &dist]),
    );
    assert_eq!(back["build"], first["build"]);
    assert_eq!(m.get(&bucket, "cdn/v1/acme.frt").unwrap(), artifact(b0));
    let id = back["invalidation"].as_str().unwrap();
    assert_eq!(
        m.invalidated_paths(&dist, id),
        ["/cdn/v1/acme.frt", "/cdn/v1/manifest.json"]
    );
    let live = m.get(&bucket, "cdn/v1/manifest.json").unwrap();
    assert_eq!(live, std::fs::read(b0.join("manifest.json")).unwrap());

    // Forward again to the newer build, for every brand.
    let to = second["build"].as_str().unwrap();
    let fwd = ok(&m.url, &rollback_args(&bucket, &["--all", "--to", to]));
    assert_eq!(
        fwd["invalidated"],
        serde_json::json!(["/cdn/v1/acme.frt", "/cdn/v1/manifest.json"])
    );
    assert_eq!(m.get(&bucket, "cdn/v1/acme.frt").unwrap(), artifact(b1));
    assert_eq!(
        m.get(&bucket, "cdn/v1/manifest.json").unwrap(),
        std::fs::read(b1.join("manifest.json")).unwrap()
    );

    // An unknown build is refused with a message, and nothing changes.
    let bad = formroute(
        &m.url,
        &rollback_args(&bucket, &["--all", "--to", "0000000000000000"]),
        &[],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not among the kept builds"));
}

#[test]
fn keep_deletes_older_builds_and_files_no_kept_build_names() {
    let url = moto();
    let m = Moto::new(url);
    let bucket = m.bucket("keep");
    let [b0, b1, b2] = builds();
    let first = publish(&m.url, b0, &bucket, &["--keep", "2"]);
    publish(&m.url, b1, &bucket, &["--keep", "2"]);
    let third = publish(&m.url, b2, &bucket, &["--keep", "2"]);
    // Build 0's record and acme's artifact (its explain file, rules only, is the same in all three).
    assert_eq!(third["deleted"], 2, "{third}");
    let keys = m.listing(&bucket);
    let first_id = first["build"].as_str().unwrap();
    assert!(!keys.contains_key(&format!("cdn/v1/builds/{first_id}.json")));
    let gone = &manifest(b0).brands["acme"].artifact;
    assert!(!keys.contains_key(&format!("cdn/v1/a/{gone}")));
    for dir in [b1, b2] {
        for e in manifest(dir).brands.values() {
            assert!(keys.contains_key(&format!("cdn/v1/a/{}", e.artifact)));
        }
    }
}

#[test]
fn every_published_object_has_a_content_type_and_cache_control_and_the_history_is_no_store() {
    let url = moto();
    let m = Moto::new(url);
    let bucket = m.bucket("headers");
    publish(&m.url, &builds()[0], &bucket, &[]);
    publish(&m.url, &builds()[1], &bucket, &[]); // rewrites pointers, manifest and history
    let keys = m.listing(&bucket);
    assert!(keys.contains_key("cdn/v1/builds/history.json"), "{keys:?}");
    for key in keys.keys() {
        let head = m.head(&bucket, key);
        // S3 (and moto) give an object stored without a type `binary/octet-stream`.
        let ctype = head.content_type().unwrap_or_default();
        assert!(
            !ctype.is_empty() && ctype != "binary/octet-stream",
            "{key}: Content-Type {ctype:?}"
        );
        assert!(head.cache_control().is_some(), "{key} has no Cache-Control");
    }
    let history = m.head(&bucket, "cdn/v1/builds/history.json");
    assert_eq!(history.cache_control(), Some("no-store"));
    assert_eq!(history.content_type(), Some("application/json"));
}
