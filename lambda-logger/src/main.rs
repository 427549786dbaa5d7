//! The lambda-logger binary: serves the beacon endpoint on AWS Lambda or locally.
fn main() {}
