//! The local lab: section 5's AWS environment on loopback, speaking the real wire protocols,
//! so the official SDK clients cannot tell it from AWS for the calls the lab makes.
//!
//! A [`LocalLab`] is a set of accounts on a durable store ([`store`], SQLite). An
//! [`Account`](account::Account) owns one slice of state per service (Cognito, CloudFormation,
//! API Gateway, CloudFront with its edge, WAF); each service works on its own slice and a small
//! account context, and learns what it needs of another service through that service's
//! functions. Three listeners serve every account: the AWS endpoint (the control planes), the
//! CloudFront edge, and the API Gateway invoke URL (`router`). `walab serve` and the
//! walkthrough's embedded lab are both a [`RunningLab`].

pub mod account;
pub mod addresses;
pub mod apigateway;
pub mod clock;
pub mod cloudformation;
pub mod cloudfront;
pub mod cognito;
pub mod context;
pub mod edge;
pub mod hosted_ui;
pub mod ids;
pub mod invoke;
pub mod lab;
mod legacy;
pub mod listen;
pub mod players;
pub mod progress;
mod resolve;
pub mod room;
pub mod room_api;
pub mod room_judge;
mod router;
pub mod running;
pub mod sigv4;
pub mod store;
pub mod sts;
pub mod waf;
pub mod wire;
pub mod xml;

pub use context::Timing;
pub use lab::{DemoUser, Endpoints, LabInfo, LocalLab, RoomOptions};
pub use running::{
    LabError, LabOptions, RunningLab, ServedLab, register_served, running_lab, served_lab, served_lab_in,
    unregister_served,
};
