//! The embedded lab comes back on the ports it had, so URLs a learner exported yesterday still
//! work; when one is taken it says its addresses changed.

use crate::common;

use walab::locallab::{LabOptions, RunningLab, Timing};

fn options(dir: &std::path::Path) -> LabOptions {
    let mut options = LabOptions::ephemeral(dir);
    options.timing = Timing::INSTANT;
    options.signing_key = Some(common::signing_key());
    options.reuse_ports = true;
    options
}

#[tokio::test]
async fn the_embedded_lab_keeps_its_ports_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = RunningLab::start(options(dir.path())).await.unwrap();
    let before = first.endpoints();
    let cloudfront = first.lab.info().unwrap().cloudfront_endpoint;
    first.shutdown().await.unwrap();

    let again = RunningLab::start(options(dir.path())).await.unwrap();
    assert_eq!(again.endpoints(), before, "the same three ports");
    assert_eq!(again.lab.info().unwrap().cloudfront_endpoint, cloudfront, "the exported URL still works");
    assert!(again.notices.is_empty(), "{:?}", again.notices);
    let edge = again.endpoints().edge;
    again.shutdown().await.unwrap();

    // Someone else took the edge's port meanwhile: new ports, and a word about it.
    let squatter = tokio::net::TcpListener::bind(edge).await.unwrap();
    let moved = RunningLab::start(options(dir.path())).await.unwrap();
    assert_ne!(moved.endpoints().edge, edge);
    assert!(moved.notices.iter().any(|n| n.contains("addresses changed")), "{:?}", moved.notices);
    drop(squatter);
    moved.shutdown().await.unwrap();
}
