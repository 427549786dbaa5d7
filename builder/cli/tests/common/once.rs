//! The "printed once" check shared by the error tests of `formroute` (tests/errors_once.rs) and of lambda-logger's binaries (lambda-logger/tests/errors_once.rs includes this file).

/// `stderr` has exactly one `<bin>: error:` line, no part of its `: `-separated chain twice,
/// and each of `causes` exactly once.
pub(crate) fn says_once(bin: &str, stderr: &str, causes: &[&str]) {
    let start = format!("{bin}: error: ");
    let errors: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&start))
        .collect();
    assert_eq!(errors.len(), 1, "one error line expected:\n{stderr}");
    let parts: Vec<&str> = errors[0].split(": ").collect();
    for p in &parts {
        let times = parts.iter().filter(|q| q == &p).count();
        assert_eq!(times, 1, "`{p}` is printed {times} times:\n{stderr}");
    }
    for cause in causes {
        assert_eq!(
            stderr.matches(cause).count(),
            1,
            "`{cause}` should appear once:\n{stderr}"
        );
    }
}
