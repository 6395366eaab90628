//! Where a plan runs: each platform reads the deployment operators run into a plan and writes
//! the files that make a plan real there.

pub mod compose;
pub mod kubernetes;
