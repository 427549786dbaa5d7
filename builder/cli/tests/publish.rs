//! `formroute publish` and `formroute rollback` against a real S3 + CloudFront server (moto over HTTP).
//!
//! Needs `FORMROUTE_MOTO_URL` (tests/run-all.sh starts moto and exports it); without it each test
//! fails with the command that starts moto. The killed-publish test also needs the test-only
//! feature `fault-injection` (tests/run-all.sh passes it).

mod common;

use aws_sdk_s3::Client as S3;
use common::*;
use formroute_core::artifact::Artifact;
use formroute_core::manifest::{BrandEntry, Manifest};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

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

/// `publish --artifacts DIR --bucket BUCKET --prefix cdn/v1` then `extra` flags.
fn publish_args<'a>(dir: &'a Path, bucket: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
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
    args
}

fn publish(url: &str, dir: &Path, bucket: &str, extra: &[&str]) -> Value {
    ok(url, &publish_args(dir, bucket, extra))
}

/// A publish that must succeed; returns its stderr (progress and notes).
fn publish_stderr(url: &str, dir: &Path, bucket: &str, extra: &[&str]) -> String {
    let out = formroute(url, &publish_args(dir, bucket, extra), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    stderr
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

    /// The object's bytes (decoded when stored with `Content-Encoding: gzip` or `br`), or None.
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
            let encoding = out.content_encoding().map(str::to_string);
            let bytes = out.body.collect().await.unwrap().into_bytes().to_vec();
            let mut plain = Vec::new();
            match encoding.as_deref() {
                Some("gzip") => {
                    std::io::copy(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut plain)
                        .unwrap();
                }
                Some("br") => {
                    std::io::copy(&mut brotli::Decompressor::new(&bytes[..], 4096), &mut plain)
                        .unwrap();
                }
                None => plain = bytes,
                Some(other) => panic!("{key}: unexpected Content-Encoding {other}"),
            }
            Some(plain)
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
        let v2 = e.artifact_v2.as_ref().expect("the build has format 2");
        for file in [&e.artifact, v2, &e.explain] {
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
        // The brotli sibling of the format-2 file: the same bytes, brotli-encoded.
        let key = format!("cdn/v1/a/{v2}.br");
        let head = m.head(&bucket, &key);
        assert_eq!(head.content_encoding(), Some("br"), "{key}");
        assert_eq!(head.content_type(), Some("application/octet-stream"));
        assert_eq!(
            head.cache_control(),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(
            m.get(&bucket, &key).unwrap(),
            std::fs::read(dir.join(v2)).unwrap()
        );
        for (suffix, file, encoding, meta) in [
            (".frt", &e.artifact, "gzip", e.artifact.clone()),
            (".v2.frt", v2, "gzip", v2.clone()),
            (".v2.frt.br", v2, "br", format!("{v2}.br")),
        ] {
            let pointer = format!("cdn/v1/{brand}{suffix}");
            let head = m.head(&bucket, &pointer);
            assert_eq!(
                head.cache_control(),
                Some("public, max-age=60, stale-while-revalidate=86400")
            );
            assert_eq!(head.content_encoding(), Some(encoding), "{pointer}");
            assert_eq!(
                head.metadata().unwrap().get("formroute-artifact"),
                Some(&meta)
            );
            let bytes = m.get(&bucket, &pointer).unwrap();
            assert_eq!(bytes, std::fs::read(dir.join(file)).unwrap(), "{pointer}");
            let a = Artifact::from_bytes(&bytes).expect("the pointer is a valid artifact");
            assert_eq!(a.version, if suffix == ".frt" { 1 } else { 2 });
        }
    }
    // The client files: immutable JavaScript, named by content, SRI in the manifest.
    let client = local.client.as_ref().expect("the build carries the client");
    for (file, integrity) in [
        (&client.snippet, &client.snippet_integrity),
        (&client.esm, &client.esm_integrity),
    ] {
        let key = format!("cdn/v1/a/{file}");
        let head = m.head(&bucket, &key);
        assert_eq!(head.content_type(), Some("text/javascript; charset=utf-8"));
        assert_eq!(
            head.cache_control(),
            Some("public, max-age=31536000, immutable")
        );
        let bytes = m.get(&bucket, &key).unwrap();
        assert_eq!(bytes, std::fs::read(dir.join(file)).unwrap());
        assert_eq!(formroute_core::manifest::sri(&bytes), *integrity);
    }
    assert_eq!(
        summary["snippet"]["integrity"],
        client.snippet_integrity.as_str()
    );
    assert_eq!(
        m.get(&bucket, "cdn/v1/formroute.min.js").unwrap(),
        std::fs::read(dir.join(&client.snippet)).unwrap()
    );
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
    // Format 2 too: both encodings uploaded, both pointers written.
    let v2 = manifest(&builds()[0]).brands["acme"]
        .artifact_v2
        .clone()
        .unwrap();
    assert!(plan.contains(&format!("upload   a/{v2} (gzip)")), "{plan}");
    assert!(plan.contains(&format!("upload   a/{v2}.br (br)")), "{plan}");
    assert!(
        plan.contains(&format!("point    acme.v2.frt -> a/{v2}\n")),
        "{plan}"
    );
    assert!(
        plan.contains(&format!("point    acme.v2.frt.br -> a/{v2}.br\n")),
        "{plan}"
    );
    assert!(
        plan.contains("note     format 1 kept for the v1 snippets"),
        "{plan}"
    );
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
    let mut want: Vec<String> = ["acme", "lakeside", "solis"]
        .iter()
        .flat_map(|b| [".frt", ".v2.frt", ".v2.frt.br"].map(|s| format!("/cdn/v1/{b}{s}")))
        .collect();
    want.extend(
        ["formroute.esm.js", "formroute.min.js", "manifest.json"].map(|f| format!("/cdn/v1/{f}")),
    );
    want.sort();
    assert_eq!(m.invalidated_paths(&dist, id), want);
    // Only acme's artifacts differ in the second build.
    let second = publish(&m.url, &builds()[1], &bucket, &["--distribution", &dist]);
    let id = second["invalidation"].as_str().unwrap();
    assert_eq!(
        m.invalidated_paths(&dist, id),
        [
            "/cdn/v1/acme.frt",
            "/cdn/v1/acme.v2.frt",
            "/cdn/v1/acme.v2.frt.br",
            "/cdn/v1/manifest.json"
        ]
    );
    // Nothing changed: no invalidation at all.
    let third = publish(&m.url, &builds()[1], &bucket, &["--distribution", &dist]);
    assert_eq!(third["invalidation"], Value::Null);
}

/// Every pointer of every brand (format 1, format 2 gzip and brotli) is a complete artifact of
/// the old or the new build, and every file the live manifest names is there.
fn assert_live_and_whole(m: &Moto, bucket: &str, prefix: &str, old: &Path, new: &Path) {
    let (mo, mn) = (manifest(old), manifest(new));
    for brand in mo.brands.keys() {
        for (suffix, file) in [
            (
                ".frt",
                (|e: &BrandEntry| e.artifact.clone()) as fn(&BrandEntry) -> String,
            ),
            (".v2.frt", |e| e.artifact_v2.clone().unwrap()),
            (".v2.frt.br", |e| e.artifact_v2.clone().unwrap()),
        ] {
            let bytes = m
                .get(bucket, &format!("{prefix}/{brand}{suffix}"))
                .unwrap_or_else(|| panic!("{brand}{suffix} is missing"));
            let is_old = bytes == std::fs::read(old.join(file(&mo.brands[brand]))).unwrap();
            let is_new = bytes == std::fs::read(new.join(file(&mn.brands[brand]))).unwrap();
            assert!(
                is_old || is_new,
                "{brand}{suffix} is neither the old nor the new artifact"
            );
            Artifact::from_bytes(&bytes).unwrap();
        }
    }
    let live = m.get(bucket, &format!("{prefix}/manifest.json")).unwrap();
    let live = Manifest::from_json(std::str::from_utf8(&live).unwrap()).unwrap();
    assert!(live == mo || live == mn);
    for e in live.brands.values() {
        let v2 = e.artifact_v2.clone().unwrap();
        for file in [&e.artifact, &v2, &format!("{v2}.br"), &e.explain] {
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

    let artifact_v2 = |dir: &Path| {
        let file = manifest(dir).brands["acme"].artifact_v2.clone().unwrap();
        std::fs::read(dir.join(file)).unwrap()
    };
    assert_eq!(
        m.get(&bucket, "cdn/v1/acme.v2.frt").unwrap(),
        artifact_v2(b1)
    );

    let back = ok(
        &m.url,
        &rollback_args(&bucket, &["--brand", "acme", "--distribution", &dist]),
    );
    assert_eq!(back["build"], first["build"]);
    assert_eq!(m.get(&bucket, "cdn/v1/acme.frt").unwrap(), artifact(b0));
    assert_eq!(
        m.get(&bucket, "cdn/v1/acme.v2.frt").unwrap(),
        artifact_v2(b0)
    );
    assert_eq!(
        m.get(&bucket, "cdn/v1/acme.v2.frt.br").unwrap(),
        artifact_v2(b0)
    );
    let id = back["invalidation"].as_str().unwrap();
    assert_eq!(
        m.invalidated_paths(&dist, id),
        [
            "/cdn/v1/acme.frt",
            "/cdn/v1/acme.v2.frt",
            "/cdn/v1/acme.v2.frt.br",
            "/cdn/v1/manifest.json"
        ]
    );
    let live = m.get(&bucket, "cdn/v1/manifest.json").unwrap();
    assert_eq!(live, std::fs::read(b0.join("manifest.json")).unwrap());

    // Forward again to the newer build, for every brand.
    let to = second["build"].as_str().unwrap();
    let fwd = ok(&m.url, &rollback_args(&bucket, &["--all", "--to", to]));
    assert_eq!(
        fwd["invalidated"],
        serde_json::json!([
            "/cdn/v1/acme.frt",
            "/cdn/v1/acme.v2.frt",
            "/cdn/v1/acme.v2.frt.br",
            "/cdn/v1/manifest.json"
        ])
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
    // Build 0's record and acme's artifacts: format 1, format 2 and its brotli copy (its explain
    // file, rules only, and the client files are the same in all three).
    assert_eq!(third["deleted"], 4, "{third}");
    let keys = m.listing(&bucket);
    let first_id = first["build"].as_str().unwrap();
    assert!(!keys.contains_key(&format!("cdn/v1/builds/{first_id}.json")));
    let gone = &manifest(b0).brands["acme"].artifact;
    assert!(!keys.contains_key(&format!("cdn/v1/a/{gone}")));
    for dir in [b1, b2] {
        for e in manifest(dir).brands.values() {
            assert!(keys.contains_key(&format!("cdn/v1/a/{}", e.artifact)));
            let v2 = e.artifact_v2.as_ref().unwrap();
            assert!(keys.contains_key(&format!("cdn/v1/a/{v2}")));
            assert!(keys.contains_key(&format!("cdn/v1/a/{v2}.br")));
        }
    }
}

#[test]
fn keep_format_none_publishes_format_2_only_and_leaves_the_v1_pointers_frozen() {
    let url = moto();
    let m = Moto::new(url);
    let bucket = m.bucket("keepformat");
    let [b0, b1, _] = builds();
    publish(&m.url, b0, &bucket, &[]);
    let stderr = publish_stderr(&m.url, b1, &bucket, &["--keep-format", "none"]);
    assert!(
        stderr.contains("--keep-format none: format 1 is not published; 3 <brand>.frt pointer(s) of the v1 snippets stay frozen"),
        "{stderr}"
    );
    let (e0, e1) = (&manifest(b0).brands["acme"], &manifest(b1).brands["acme"]);
    // The v1 snippets still get a whole artifact: build 0's, not deleted, not half-new.
    assert_eq!(
        m.get(&bucket, "cdn/v1/acme.frt").unwrap(),
        std::fs::read(b0.join(&e0.artifact)).unwrap()
    );
    assert!(m
        .get(&bucket, &format!("cdn/v1/a/{}", e1.artifact))
        .is_none());
    let v2 = e1.artifact_v2.as_ref().unwrap();
    assert_eq!(
        m.get(&bucket, "cdn/v1/acme.v2.frt").unwrap(),
        std::fs::read(b1.join(v2)).unwrap()
    );
    // Keeping format 1 again (the default) brings the v1 pointer up to date.
    let again = publish_stderr(&m.url, b1, &bucket, &[]);
    assert!(
        again.contains("format 1 kept for the v1 snippets"),
        "{again}"
    );
    assert_eq!(
        m.get(&bucket, "cdn/v1/acme.frt").unwrap(),
        std::fs::read(b1.join(&e1.artifact)).unwrap()
    );
}

#[test]
fn publish_prints_the_snippet_tag_pinned_by_its_integrity() {
    let url = moto();
    let m = Moto::new(url);
    let bucket = m.bucket("snippet");
    let dir = &builds()[0];
    let out = formroute(
        &m.url,
        &publish_args(dir, &bucket, &["--cdn-base", "https://cdn.example/cdn/v1"]),
        &[],
    );
    assert!(out.status.success());
    let c = manifest(dir).client.unwrap();
    let tag = format!(
        r#"<script src="https://cdn.example/cdn/v1/a/{}" integrity="{}" crossorigin="anonymous" async data-base="https://cdn.example/cdn/v1/"></script>"#,
        c.snippet, c.snippet_integrity
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&tag),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["snippet"]["tag"], tag.as_str());
    assert_eq!(summary["snippet"]["file"], format!("a/{}", c.snippet));
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
