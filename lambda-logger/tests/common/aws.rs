//! AWS for the integration tests: clients on the moto server, and a function binary behind the real Lambda runtime emulator.

use super::procs::{start, Proc};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Test credentials and region for the processes the tests start against moto.
pub(crate) const AWS_ENV: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "test"),
    ("AWS_SECRET_ACCESS_KEY", "test"),
    ("AWS_REGION", "us-east-1"),
];

/// A single-threaded runtime to drive the SDK clients from a test.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn creds() -> aws_sdk_sqs::config::Credentials {
    aws_sdk_sqs::config::Credentials::new("test", "test", None, None, "test")
}

/// An SQS client on `endpoint` (moto).
pub(crate) fn sqs(endpoint: &str) -> aws_sdk_sqs::Client {
    let conf = aws_sdk_sqs::config::Builder::new()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .credentials_provider(creds())
        .endpoint_url(endpoint)
        .build();
    aws_sdk_sqs::Client::from_conf(conf)
}

/// An S3 client on `endpoint` (moto), path-style.
pub(crate) fn s3(endpoint: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(creds())
        .endpoint_url(endpoint)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Fails the test, with the command that installs it, when `cargo lambda` is not installed (a
/// test that cannot run must not pass).
pub(crate) fn require_cargo_lambda(test: &str) {
    let installed = Command::new("cargo")
        .args(["lambda", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        installed,
        "{test}: cargo lambda is not installed: run `bash tests/setup.sh` (it installs cargo-lambda \
         into target/test-venv) and put target/test-venv/bin on PATH, as tests/run-all.sh does"
    );
}

/// A function binary polling the Lambda runtime emulator (`cargo lambda watch
/// --only-lambda-apis`) on a free port. Both processes are killed when this is dropped.
pub(crate) struct OnLambdaRuntime {
    /// The emulator's port: invoke at `/2015-03-31/functions/_/invocations`, or as a function
    /// URL at `/lambda-url/_`.
    pub port: u16,
    /// The function process (dropped, so killed, before the emulator).
    pub function: Proc,
    _emulator: Proc,
}

impl OnLambdaRuntime {
    /// Starts the emulator, then `bin` with the Lambda environment plus `env`; checks that the
    /// function is still running shortly after.
    pub(crate) fn start(bin: &str, env: &[(&str, &str)]) -> OnLambdaRuntime {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut emu = Command::new("cargo");
        emu.current_dir(env!("CARGO_MANIFEST_DIR")).args([
            "lambda",
            "watch",
            "--only-lambda-apis",
            "-A",
            "127.0.0.1",
            "-P",
            &port.to_string(),
        ]);
        let (emulator, _) = start(emu, "starting Runtime server", true);
        let mut f = Command::new(bin);
        f.env(
            "AWS_LAMBDA_RUNTIME_API",
            format!("http://127.0.0.1:{port}/.rt"),
        )
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256");
        for (k, v) in AWS_ENV.iter().chain(env) {
            f.env(k, v);
        }
        let mut function = Proc {
            child: f
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap(),
            stderr: Default::default(),
        };
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            function.child.try_wait().unwrap().is_none(),
            "the function exited at start"
        );
        OnLambdaRuntime {
            port,
            function,
            _emulator: emulator,
        }
    }

    /// Whether the function is still running.
    pub(crate) fn function_running(&mut self) -> bool {
        self.function.child.try_wait().unwrap().is_none()
    }
}
