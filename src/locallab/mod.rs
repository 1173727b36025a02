//! The local lab: section 5's AWS environment on loopback, speaking the real wire protocols,
//! so the official SDK clients cannot tell it from AWS for the calls the lab makes.
//!
//! A [`LocalLab`] is a set of accounts on a durable store (SQLite, [`machinery::store`]). An
//! [`Account`](account::Account) owns one slice of state per service (Cognito, CloudFormation,
//! API Gateway, CloudFront with its edge, WAF); each service works on its own slice and a small
//! account context, and learns what it needs of another service through that service's
//! functions. Three listeners serve every account: the AWS endpoint (the control planes), the
//! CloudFront edge, and the API Gateway invoke URL ([`machinery`]). `walab serve` and the
//! walkthrough's embedded lab are both a [`RunningLab`].
//!
//! One folder per service (API Gateway with its invoke side, CloudFront with its edge, Cognito
//! with its hosted UI, CloudFormation, STS, WAF, the API's data in [`players`]); what they all run
//! on in [`machinery`]; a workshop's [`room`]; the lab as a whole in [`lab`] and [`running`].

pub mod account;
pub mod apigateway;
pub mod cloudformation;
pub mod cloudfront;
pub mod cognito;
pub mod lab;
mod legacy;
pub mod machinery;
pub mod players;
pub mod room;
pub mod running;
pub mod sts;
pub mod waf;

pub use lab::{DemoUser, Endpoints, LabInfo, LocalLab, RoomOptions};
pub use machinery::context::Timing;
pub use running::{
    LabError, LabOptions, RunningLab, ServedLab, register_served, running_lab, served_lab, served_lab_in,
    unregister_served,
};
