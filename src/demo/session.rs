//! The conversation loop: typed lines and bot events until the input ends,
//! then the last replies, then a graceful stop of the bot.

use std::{future::Future, time::Duration};

use anyhow::Context as _;
use tokio::{
    io::{AsyncBufRead, AsyncBufReadExt as _, AsyncReadExt as _, AsyncWrite},
    time::{Instant, sleep, sleep_until},
};

use super::chat::Chat;
use super::remind::Remind;
use super::world::{DataDir, World, start_world};
use super::{DRAIN_MAX, MAX_LINE, QUIET, SHUTDOWN_MAX};

pub(super) async fn session<R, W, S>(
    mut input: R,
    output: W,
    echo: bool,
    interrupted: S,
) -> anyhow::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin + Send,
    S: Future<Output = ()>,
{
    let data = DataDir::choose()?;
    let (world, events) = start_world(&data).await?;
    let remind = Remind::new(world.app.clone(), world._sandbox.sandbox.clone());
    let mut chat = Chat::new(
        output,
        echo,
        world.tg.clone(),
        world.user.clone(),
        events,
        remind,
    );
    chat.intro(&data).await;

    // The conversation.
    tokio::pin!(interrupted);
    let mut buf = Vec::new();
    // Set while the rest of an overlong line is being skipped.
    let mut skipping = false;
    while chat.open {
        // At most one byte more than a line may hold: memory stays bounded.
        let room = u64::try_from(MAX_LINE + 1 - buf.len().min(MAX_LINE)).unwrap_or(1);
        let mut limited = (&mut input).take(room);
        tokio::select! {
            read = limited.read_until(b'\n', &mut buf) => {
                match read {
                    Ok(0) => break,
                    Ok(_) => {
                        let overlong = !buf.ends_with(b"\n") && buf.len() > MAX_LINE;
                        let line = String::from_utf8_lossy(&buf).into_owned();
                        buf.clear();
                        let skip = skipping;
                        skipping = overlong;
                        if !skip && !chat.typed(&line).await {
                            break;
                        }
                    }
                    Err(e) => {
                        chat.note(&format!("(input ended: {e})")).await;
                        break;
                    }
                }
            }
            event = chat.events.recv(), if chat.events_open => chat.event(event).await,
            ended = chat.remind.ended(), if chat.remind.waiting() => chat.run_ended(ended).await,
            () = &mut interrupted => {
                chat.note("(interrupted)").await;
                break;
            }
        }
    }

    // The last replies: until the bot has been quiet for a moment (and a
    // reminder run asked for has ended).
    let hard = Instant::now() + DRAIN_MAX;
    loop {
        tokio::select! {
            event = chat.events.recv(), if chat.events_open => chat.event(event).await,
            ended = chat.remind.ended(), if chat.remind.waiting() => chat.run_ended(ended).await,
            () = sleep(QUIET) => {
                if world.tg.pending_updates() == 0 && !chat.remind.waiting() {
                    break;
                }
            }
            () = sleep_until(hard) => break,
        }
    }

    // Stop the bot gracefully: updates in progress finish (and are shown).
    let World {
        tg,
        _sandbox: sandbox,
        store,
        app,
        user: _,
        shutdown,
        mut bot_task,
    } = world;
    // The bot's own drain limit is SHUTDOWN_MAX; a little more for its
    // last flush.
    let deadline = Instant::now() + SHUTDOWN_MAX + Duration::from_secs(8);
    let _ = shutdown.send(());
    loop {
        tokio::select! {
            joined = &mut bot_task => {
                if let Err(e) = joined {
                    tracing::warn!(error = %e, "the demo bot task ended badly");
                }
                break;
            }
            event = chat.events.recv(), if chat.events_open => chat.event(event).await,
            () = sleep_until(deadline) => {
                bot_task.abort();
                chat.note("(the bot did not stop in time; stopped it)").await;
                break;
            }
        }
    }
    store.flush().await.context("flushing the database")?;
    drop(store);
    chat.note("Bye.").await;
    drop(chat);
    drop(app);
    drop(tg);
    drop(sandbox);
    drop(data);
    Ok(())
}
