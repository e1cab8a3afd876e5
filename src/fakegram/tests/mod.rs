//! End-to-end tests of the fake with a real teloxide `Bot`: what the fake
//! answers must deserialize into teloxide's types, and Telegram's refusals must
//! reach teloxide as the same errors.
//!
//! By topic: `messages` (send, edit, delete, photos), `updates` (getUpdates,
//! long polls, presses), `refusals` (Telegram's rules, injected failures,
//! malformed requests), `profile` (getMe, commands) and `dispatcher`.

mod dispatcher;
mod messages;
mod profile;
mod refusals;
mod updates;
mod webhook;

use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};
use teloxide::{ApiError, RequestError};

use super::{FakeTelegram, FakeUser};

const WAIT: Duration = Duration::from_secs(5);

async fn setup() -> (FakeTelegram, Bot, FakeUser) {
    let tg = FakeTelegram::start().await.expect("fake starts");
    let bot = tg.bot();
    let user = FakeUser::new(4242, "Ayşe")
        .language("tr")
        .with_username("ayse");
    tg.register(&user);
    (tg, bot, user)
}

fn keyboard(data: &str) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        InlineKeyboardButton::callback("Öde ›", data.to_owned()),
        InlineKeyboardButton::url("Site", "https://example.com".parse().expect("url")),
    ]])
}

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(5, 3, |x, y| image::Rgb([x as u8 * 40, y as u8 * 80, 7]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png encodes");
    out.into_inner()
}

/// Until `n` getUpdates requests have reached the server (long polls are only
/// recorded when they end).
async fn wait_for_pollers(tg: &FakeTelegram, n: u64) {
    for _ in 0..400 {
        if tg.core().lock().poller >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("no getUpdates reached the fake");
}

fn api_error(e: RequestError) -> ApiError {
    match e {
        RequestError::Api(api) => api,
        other => panic!("expected an API error, got {other:?}"),
    }
}
