//! The logger's artifact store reading what `formroute publish` uploads to S3 (moto): the format-2 artifact when the manifest lists one, format 1 otherwise (an older builder, or an older publish that uploaded format 1 only), and format 2 after a `--keep-format none` publish.
//!
//! Needs FORMROUTE_MOTO_URL (a moto server; tests/run-all.sh starts one); without it each test
//! fails with the command that starts moto.

mod common;

use common::aws::*;
use common::lookup::*;
use common::procs::moto_url;
use common::*;
use lambda_logger::{Location, Store};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// One build of `data/` for every test of this file.
fn built() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = temp_path("store");
        let data = root.join("data");
        write_data(&data, false);
        let out = root.join("out");
        build(&data, &out);
        out
    })
}

/// A fresh bucket on moto, with the build published to `routes/` by `formroute publish` and `extra` flags.
fn published(moto: &str, name: &str, extra: &[&str]) -> String {
    let bucket = format!("{name}-{}", std::process::id());
    let client = s3(moto);
    runtime()
        .block_on(client.create_bucket().bucket(&bucket).send())
        .unwrap();
    publish_to(moto, built(), &bucket, extra);
    bucket
}

/// The store over `s3://bucket/routes`: the format version it read for each brand, and its
/// answer to one query per brand.
fn read(moto: &str, bucket: &str) -> Vec<(String, u16, String)> {
    // The store takes its S3 endpoint and credentials from the standard AWS environment: set
    // once, before any test's store reads it.
    static ENV: std::sync::Once = std::sync::Once::new();
    ENV.call_once(|| {
        std::env::set_var("AWS_ENDPOINT_URL", moto);
        for (k, v) in AWS_ENV {
            std::env::set_var(k, v);
        }
    });
    let location = Location::parse(&format!("s3://{bucket}/routes")).unwrap();
    let store = runtime().block_on(Store::open(&location, Duration::from_secs(60)));
    let build = store.peek().expect("the store loaded the published build");
    let set = build.set.as_ref().expect("with its artifacts");
    set.manifest
        .brands
        .keys()
        .map(|b| {
            let loaded = set
                .brand(b)
                .unwrap_or_else(|| panic!("brand {b} is unusable"));
            let answer = format!("{:?}", set.resolve(b, "10001", "auto", "en"));
            (b.clone(), loaded.artifact.version, answer)
        })
        .collect()
}

/// What `formroute resolve` answers from the build folder, as the store's answers are compared.
fn expected(dir: &Path) -> Vec<String> {
    let set = formroute_core::resolve::ArtifactSet::open(dir).unwrap();
    set.manifest
        .brands
        .keys()
        .map(|b| format!("{:?}", set.resolve(b, "10001", "auto", "en")))
        .collect()
}

fn delete_keys(moto: &str, bucket: &str, keep: impl Fn(&str) -> bool) {
    let client = s3(moto);
    runtime().block_on(async {
        let list = client
            .list_objects_v2()
            .bucket(bucket)
            .send()
            .await
            .unwrap();
        for key in list.contents().iter().filter_map(|o| o.key()) {
            if !keep(key) {
                client
                    .delete_object()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .unwrap();
            }
        }
    });
}

#[test]
fn the_store_reads_the_format_2_artifacts_publish_uploads() {
    let moto = moto_url("the_store_reads_the_format_2_artifacts_publish_uploads");
    let bucket = published(&moto, "store-v2", &[]);
    let got = read(&moto, &bucket);
    assert!(!got.is_empty());
    assert!(got.iter().all(|(_, v, _)| *v == 2), "{got:?}");
    let answers: Vec<String> = got.into_iter().map(|(_, _, a)| a).collect();
    assert_eq!(answers, expected(built()));
}

#[test]
fn after_keep_format_none_the_store_still_reads_every_brand_from_format_2() {
    let moto = moto_url("after_keep_format_none");
    let bucket = published(&moto, "store-none", &["--keep-format", "none"]);
    let got = read(&moto, &bucket);
    assert!(got.iter().all(|(_, v, _)| *v == 2), "{got:?}");
}

#[test]
fn a_bucket_an_older_publish_wrote_format_1_only_is_read_in_format_1() {
    let moto = moto_url("a_bucket_an_older_publish_wrote");
    // As an older `formroute publish` left it: the manifest lists format 2, but only the
    // format-1 files were uploaded.
    let bucket = published(&moto, "store-v1", &[]);
    delete_keys(&moto, &bucket, |k| !k.contains(".v2.frt"));
    let got = read(&moto, &bucket);
    assert!(got.iter().all(|(_, v, _)| *v == 1), "{got:?}");
    let answers: Vec<String> = got.into_iter().map(|(_, _, a)| a).collect();
    assert_eq!(answers, expected(built()));
}

#[test]
fn a_manifest_without_format_2_is_read_in_format_1() {
    let moto = moto_url("a_manifest_without_format_2");
    // A manifest from an older builder: no artifact_v2 keys.
    let bucket = published(&moto, "store-old", &[]);
    let text = std::fs::read_to_string(built().join("manifest.json")).unwrap();
    let mut manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    for entry in manifest["brands"].as_object_mut().unwrap().values_mut() {
        let e = entry.as_object_mut().unwrap();
        for k in ["artifact_v2", "artifact_v2_bytes", "artifact_v2_sha256"] {
            assert!(e.remove(k).is_some(), "the build lists {k}");
        }
    }
    runtime()
        .block_on(
            s3(&moto)
                .put_object()
                .bucket(&bucket)
                .key("routes/manifest.json")
                .body(manifest.to_string().into_bytes().into())
                .send(),
        )
        .unwrap();
    let got = read(&moto, &bucket);
    assert!(got.iter().all(|(_, v, _)| *v == 1), "{got:?}");
}
