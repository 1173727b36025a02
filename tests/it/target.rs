//! `--target local`: the embedded lab, or the lab another walab already serves on the same
//! state directory; either way the SDK reaches it through one `SdkConfig`.

use crate::common;

use clap::Parser;
use walab::settings::Dirs;
use walab::target::{Target, TargetArgs};

#[derive(Parser)]
struct Flags {
    #[command(flatten)]
    target: TargetArgs,
}

fn local_flags() -> TargetArgs {
    Flags::parse_from(["walab", "--target", "local"]).target
}

#[tokio::test]
async fn local_target_starts_a_lab_or_joins_the_running_one() {
    let data = tempfile::tempdir().unwrap();
    let dirs = Dirs { config: data.path().join("config"), data: data.path().to_path_buf() };

    // Seed the lab with the test key first, so no RSA key is generated here.
    let mut options = walab::locallab::LabOptions::ephemeral(dirs.lab_dir());
    options.signing_key = Some(common::signing_key());
    let served = walab::locallab::RunningLab::start(options).await.unwrap();
    let pool_id = served.lab.info().unwrap().user_pool_id;

    // The directory is busy: the target joins the running lab.
    let joined = Target::connect(&local_flags(), &dirs).await.unwrap();
    assert!(joined.lab.is_none());
    assert_eq!(joined.values_key, "local");
    let stacks = aws_sdk_cloudformation::Client::new(&joined.sdk)
        .describe_stacks()
        .stack_name(&joined.stack)
        .send()
        .await
        .unwrap();
    let outputs = stacks.stacks()[0].outputs();
    assert!(outputs.iter().any(|o| o.output_value() == Some(pool_id.as_str())));
    joined.close().await.unwrap();
    served.shutdown().await.unwrap();

    // Nobody serves it now: the target runs the same lab itself.
    let embedded = Target::connect(&local_flags(), &dirs).await.unwrap();
    let lab = embedded.lab.as_ref().expect("an embedded lab");
    assert_eq!(lab.lab.info().unwrap().user_pool_id, pool_id);
    embedded.close().await.unwrap();
}
