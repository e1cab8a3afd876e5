//! The endpoints of [`super::schema`], by concern.

pub mod agent;
pub mod general;
pub mod pay;
pub mod receipts;
