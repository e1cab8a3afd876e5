//! `faturabot demo`: the whole product in one terminal, with no Telegram token
//! and no bank.
//!
//! It starts the embedded sandbox bank ([`crate::sandbox`]), a local stand-in
//! for the Telegram Bot API ([`crate::fakegram`]) and the *real* bot against
//! them: the same composition root ([`launch::Service`]) and sled storage
//! as `faturabot run`. The person at the terminal is one Telegram user
//! ([`DEMO_USER_ID`]), already linked to a bank account through an invite
//! (as `/start <token>` does) and also an agent, so every command can be
//! tried. Lines typed are sent to the bot as messages; a line that is just a
//! number presses that button of the buttons shown last. Every
//! message the bot sends or edits is printed as plain text with its buttons
//! numbered, and a receipt's QR image is decoded and drawn again with Unicode
//! blocks.
//!
//! [`run_with`] is the same chat over any reader and writer, for tests.

use std::{
    collections::BTreeMap,
    future::Future,
    io::IsTerminal as _,
    path::PathBuf,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use anyhow::Context as _;
use secrecy::SecretString;
use tokio::{
    io::{AsyncBufRead, AsyncBufReadExt as _, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _},
    sync::broadcast::{self, error::RecvError},
    time::{Instant, sleep, sleep_until},
};

use crate::{
    bank::Account,
    bot::launch::{self, Service, Settings},
    clock::Clock,
    config::{BankConfig, ReceiptConfig},
    fakegram::{self, BotEvent, BotMessage, FakeTelegram, FakeUser},
    sandbox::{MAGIC_NUMBERS, RunningSandbox, Sandbox, SandboxConfig},
    storage::Store,
};

/// The Telegram user id of the person at the terminal (also an agent).
pub const DEMO_USER_ID: u64 = 42;

/// The bank account the demo user is linked to before the chat starts.
pub fn demo_account() -> Account {
    Account {
        customer_no: 3_488_017,
        branch_code: 9142,
        suffix: 357,
        currency: "TRY".into(),
    }
}

/// Per bank request; lower than [`SLOW_DELAY`] so the slow numbers time out.
const BANK_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the sandbox's "slow" answers take.
const SLOW_DELAY: Duration = Duration::from_secs(15);
/// After the input ends: the bot counts as done after this much silence...
const QUIET: Duration = Duration::from_millis(1500);
/// ...or after this long at most.
const DRAIN_MAX: Duration = Duration::from_secs(10);
/// The graceful shutdown of the dispatcher may take this long, then it is
/// aborted. In-flight updates end within the bank time-out.
const SHUTDOWN_MAX: Duration = Duration::from_secs(25);
/// Lines longer than this are cut (Telegram's own text limit is 4096).
const MAX_LINE: usize = 8192;
/// Margin for the continuation lines of a printed message.
const INDENT: &str = "      ";

/// `faturabot demo`: the chat on this terminal's stdin and stdout, until
/// `/quit`, end of input (Ctrl-D) or Ctrl-C.
pub async fn run() -> anyhow::Result<()> {
    // Typed lines are already on a terminal's screen; from a pipe they are
    // echoed so the transcript reads as a conversation.
    let echo = !std::io::stdin().is_terminal();
    let input = tokio::io::BufReader::new(StdinReader::spawn());
    let interrupted = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // No signal handling here: never interrupt.
            std::future::pending::<()>().await;
        }
    };
    session(input, tokio::io::stdout(), echo, interrupted).await
}

/// The demo over any input and output: lines read from `input` are what the
/// person types; everything shown goes to `output` as plain text (no escape
/// sequences). Typed lines are echoed (`you › …`). Returns after `/quit` or
/// the end of `input`, once the bot has answered and stopped cleanly.
///
/// The store is in `FATURABOT_DATA_DIR` when it is set (kept), else in a
/// fresh temporary folder removed at the end. The bot speaks Turkish when
/// `LC_ALL`/`LC_MESSAGES`/`LANG` starts with `tr`, English otherwise.
pub async fn run_with(
    input: impl AsyncBufRead + Unpin,
    output: impl AsyncWrite + Unpin + Send,
) -> anyhow::Result<()> {
    session(input, output, true, std::future::pending::<()>()).await
}

/// Standard input read on a thread of its own. Unlike `tokio::io::stdin`,
/// whose blocking read keeps the runtime from shutting down until Enter is
/// pressed, a read left waiting here does not delay the exit (after Ctrl-C).
struct StdinReader {
    chunks: tokio::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    pending: Vec<u8>,
    at: usize,
}

impl StdinReader {
    fn spawn() -> StdinReader {
        let (tx, chunks) = tokio::sync::mpsc::channel(16);
        let spawned = std::thread::Builder::new()
            .name("demo-stdin".into())
            .spawn(move || {
                use std::io::Read as _;
                let mut stdin = std::io::stdin().lock();
                let mut buf = vec![0u8; 4096];
                loop {
                    let chunk = match stdin.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => Ok(buf[..n].to_vec()),
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => Err(e),
                    };
                    let failed = chunk.is_err();
                    if tx.blocking_send(chunk).is_err() || failed {
                        break;
                    }
                }
            });
        if let Err(e) = spawned {
            // The sender went with the closure: the input is simply empty.
            tracing::warn!(error = %e, "cannot read the terminal");
        }
        StdinReader {
            chunks,
            pending: Vec::new(),
            at: 0,
        }
    }
}

impl tokio::io::AsyncRead for StdinReader {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::task::Poll;
        loop {
            if self.at < self.pending.len() {
                let n = buf.remaining().min(self.pending.len() - self.at);
                let start = self.at;
                buf.put_slice(&self.pending[start..start + n]);
                self.at += n;
                return Poll::Ready(Ok(()));
            }
            match self.chunks.poll_recv(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => {
                    self.pending = chunk;
                    self.at = 0;
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                // The thread is done: end of input.
                Poll::Ready(None) => return Poll::Ready(Ok(())),
            }
        }
    }
}

/// The language of the demo user's Telegram client, from the locale.
fn locale_language() -> &'static str {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_default();
    if locale.to_ascii_lowercase().starts_with("tr") {
        "tr"
    } else {
        "en"
    }
}

/// Where the database lives, and whether to remove it at the end.
struct DataDir {
    path: PathBuf,
    temporary: bool,
}

impl DataDir {
    fn choose() -> anyhow::Result<DataDir> {
        if let Some(dir) = std::env::var_os("FATURABOT_DATA_DIR").filter(|d| !d.is_empty()) {
            let path = PathBuf::from(dir);
            std::fs::create_dir_all(&path)
                .with_context(|| format!("creating FATURABOT_DATA_DIR {}", path.display()))?;
            return Ok(DataDir {
                path,
                temporary: false,
            });
        }
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path =
            std::env::temp_dir().join(format!("faturabot-demo-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)
            .with_context(|| format!("creating a temporary folder {}", path.display()))?;
        Ok(DataDir {
            path,
            temporary: true,
        })
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Everything running behind the chat.
struct World {
    tg: FakeTelegram,
    /// Kept alive as long as the bot runs.
    _sandbox: RunningSandbox,
    store: Store,
    user: FakeUser,
    /// Sent to stop the bot gracefully.
    shutdown: tokio::sync::oneshot::Sender<()>,
    bot_task: tokio::task::JoinHandle<()>,
}

async fn start_world(data: &DataDir) -> anyhow::Result<(World, broadcast::Receiver<BotEvent>)> {
    let tg = FakeTelegram::start()
        .await
        .context("starting the stand-in for Telegram")?;
    let sandbox = Sandbox::new(SandboxConfig {
        slow_delay: SLOW_DELAY,
        ..SandboxConfig::default()
    })
    .spawn()
    .await
    .context("starting the sandbox bank")?;
    let url: url::Url = sandbox.url.parse().context("sandbox URL")?;
    let store = Store::open(&data.path)
        .with_context(|| format!("opening the database in {}", data.path.display()))?;
    let settings = Settings {
        token: SecretString::from(fakegram::TOKEN),
        api_url: Some(tg.api_url()),
        store: store.clone(),
        bank: BankConfig {
            url: url.clone(),
            subscription_key: SecretString::from("demo"),
            channel: "DEMO".into(),
            app_key: SecretString::from("demo"),
            dealer_code: String::new(),
            sub_dealer_code: String::new(),
            timeout: BANK_TIMEOUT,
        },
        receipt: ReceiptConfig {
            url,
            api_key: SecretString::from("demo"),
            secret_key: SecretString::from("demo"),
            timeout: BANK_TIMEOUT,
        },
        agents: [DEMO_USER_ID].into_iter().collect(),
        catalog_ttl: Duration::from_secs(600),
        clock: Clock::system(),
        limits: launch::telegram_limits(crate::config::DEFAULT_SEND_RATE),
        webhook: None,
        metrics_listen: None,
        drain: SHUTDOWN_MAX,
    };
    let service = Service::build(settings).await?;

    let user = FakeUser::new(DEMO_USER_ID, "Demo").language(locale_language());
    tg.register(&user);
    // Link the account as an invite link would, without typing.
    let app = service.app();
    let token = app
        .store
        .invites
        .create(demo_account(), DEMO_USER_ID, app.clock.now())
        .await
        .context("creating the demo invite")?;

    let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
    // Subscribed before anything is sent: no reply is missed.
    let events = tg.subscribe();
    let bot_task = tokio::spawn(async move {
        let stop = async {
            let _ = stop.await;
        };
        if let Err(e) = service.run(stop).await {
            tracing::warn!(error = %format!("{e:#}"), "the demo bot stopped badly");
        }
    });
    tg.send_text(&user, &format!("/start {token}"));
    Ok((
        World {
            tg,
            _sandbox: sandbox,
            store,
            user,
            shutdown,
            bot_task,
        },
        events,
    ))
}

async fn session<R, W, S>(mut input: R, output: W, echo: bool, interrupted: S) -> anyhow::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin + Send,
    S: Future<Output = ()>,
{
    let data = DataDir::choose()?;
    let (world, events) = start_world(&data).await?;
    let mut chat = Chat {
        out: output,
        open: true,
        echo,
        tg: world.tg.clone(),
        user: world.user.clone(),
        events,
        events_open: true,
        shown: BTreeMap::new(),
        current: None,
    };
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
            () = &mut interrupted => {
                chat.note("(interrupted)").await;
                break;
            }
        }
    }

    // The last replies: until the bot has been quiet for a moment.
    let hard = Instant::now() + DRAIN_MAX;
    loop {
        tokio::select! {
            event = chat.events.recv(), if chat.events_open => chat.event(event).await,
            () = sleep(QUIET) => {
                if world.tg.pending_updates() == 0 {
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
    drop(tg);
    drop(sandbox);
    drop(data);
    Ok(())
}

/// The terminal side of the conversation.
struct Chat<W> {
    out: W,
    /// False once the output is gone: nothing more can be shown.
    open: bool,
    echo: bool,
    tg: FakeTelegram,
    user: FakeUser,
    events: broadcast::Receiver<BotEvent>,
    /// False once the stand-in for Telegram is gone.
    events_open: bool,
    /// The bot's messages as last shown, by id.
    shown: BTreeMap<i32, BotMessage>,
    /// The message whose buttons a number presses.
    current: Option<i32>,
}

impl<W: AsyncWrite + Unpin + Send> Chat<W> {
    async fn write(&mut self, text: &str) {
        if !self.open {
            return;
        }
        let ok = async {
            self.out.write_all(text.as_bytes()).await?;
            self.out.flush().await
        }
        .await;
        if ok.is_err() {
            self.open = false;
        }
    }

    async fn note(&mut self, line: &str) {
        self.write(&format!("{line}\n")).await;
    }

    async fn intro(&mut self, data: &DataDir) {
        let account = demo_account().masked();
        let mut t = String::new();
        t.push_str(
            "faturabot demo: the real bot, a simulated bank and a stand-in for Telegram, \
             all on this machine.\n",
        );
        t.push_str(&format!(
            "You are \"{}\" (Telegram user {}), a customer whose account {account} is \
             already linked, and also bank staff.\n\n",
            self.user.first_name, self.user.id
        ));
        t.push_str("Type a message and press Enter to send it to the bot:\n");
        t.push_str(
            "  /pay        pay a bill (e.g. SU, type \"iski\", İSKİ İSTANBUL, subscriber 1000001)\n",
        );
        t.push_str("  /history  /receipt  /language  /help  /cancel\n");
        t.push_str("  /invite 3488017 9142 357   /payments   /cancelpayment <id>   (staff)\n");
        t.push_str("  3           press button [3] of the buttons shown last\n");
        t.push_str("  \\3          send \"3\" as text instead\n");
        t.push_str("  /quit       leave (end of input, Ctrl-D, does too)\n\n");
        t.push_str("Subscriber numbers the simulated bank knows (any institution):\n");
        for (number, meaning) in MAGIC_NUMBERS {
            t.push_str(&format!("  {number}  {meaning}\n"));
        }
        if data.temporary {
            t.push_str("\nData: a temporary folder, removed at exit.\n");
        } else {
            t.push_str(&format!(
                "\nData: {} (FATURABOT_DATA_DIR, kept).\n",
                data.path.display()
            ));
        }
        t.push_str(&format!(
            "\n(Opening the invite link for account {account}: /start <token>)\n\n"
        ));
        self.write(&t).await;
    }

    /// A line typed by the person. False when the chat should end.
    async fn typed(&mut self, raw: &str) -> bool {
        let line = raw.trim_end_matches(['\n', '\r']);
        let line = cut(line, MAX_LINE);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return true;
        }
        if trimmed.eq_ignore_ascii_case("/quit") || trimmed.eq_ignore_ascii_case("/exit") {
            return false;
        }
        if let Some(text) = trimmed.strip_prefix('\\') {
            if text.trim().is_empty() {
                self.note("(nothing to send)").await;
            } else {
                self.send(text).await;
            }
            return true;
        }
        if trimmed.bytes().all(|b| b.is_ascii_digit()) {
            let n: Option<usize> = trimmed.parse().ok();
            if let Some(n) = n
                && self.press(n).await
            {
                return true;
            }
            if trimmed.len() <= 2 {
                let how = match self.current_buttons() {
                    0 => "no buttons to press now".to_owned(),
                    count => format!("the buttons are numbered 1 to {count}"),
                };
                self.note(&format!(
                    "(there is no button {trimmed}: {how}; to send {trimmed} as text, type \\{trimmed})"
                ))
                .await;
                return true;
            }
        }
        self.send(trimmed).await;
        true
    }

    async fn send(&mut self, text: &str) {
        if self.echo {
            self.note(&format!("you › {text}")).await;
        }
        self.tg.send_text(&self.user, text);
    }

    fn current_buttons(&self) -> usize {
        self.current
            .and_then(|id| self.shown.get(&id))
            .map_or(0, |m| m.all_buttons().count())
    }

    /// Presses button `n` (from 1) of the current message, if there is one.
    async fn press(&mut self, n: usize) -> bool {
        let Some(message) = self.current.and_then(|id| self.shown.get(&id)) else {
            return false;
        };
        let Some(button) = n.checked_sub(1).and_then(|i| message.all_buttons().nth(i)) else {
            return false;
        };
        let (message_id, button) = (message.message_id, button.clone());
        match (&button.callback_data, &button.url) {
            (Some(data), _) => {
                self.note(&format!("you pressed [{n}] {}", button.text))
                    .await;
                self.tg.press(&self.user, message_id, data);
            }
            (None, Some(url)) => {
                self.note(&format!(
                    "([{n}] {} opens {url}, outside this demo)",
                    button.text
                ))
                .await;
            }
            (None, None) => {
                self.note(&format!("([{n}] {} does nothing here)", button.text))
                    .await;
            }
        }
        true
    }

    async fn event(&mut self, event: Result<BotEvent, RecvError>) {
        let event = match event {
            Ok(e) => e,
            Err(RecvError::Lagged(n)) => {
                self.note(&format!("({n} bot events were missed)")).await;
                return;
            }
            Err(RecvError::Closed) => {
                // The stand-in for Telegram is gone: nothing more will come.
                self.events_open = false;
                return;
            }
        };
        let me = self.user.chat_id();
        match event {
            BotEvent::Sent { chat_id, message } if chat_id == me => {
                self.show(message, false).await;
            }
            BotEvent::Edited { chat_id, message } if chat_id == me => {
                self.show(message, true).await;
            }
            BotEvent::Deleted {
                chat_id,
                message_id,
            } if chat_id == me => {
                self.shown.remove(&message_id);
                if self.current == Some(message_id) {
                    self.current = None;
                }
                self.note("bot deleted a message").await;
            }
            BotEvent::CallbackAnswered(answer) => {
                if let Some(text) = answer.text.filter(|t| !t.trim().is_empty()) {
                    let kind = if answer.show_alert { "alert" } else { "notice" };
                    self.note(&format!("bot ({kind}) › {text}")).await;
                }
            }
            BotEvent::ChatAction { chat_id, action } if chat_id == me => {
                let what = match action.as_str() {
                    "typing" => "typing",
                    "upload_photo" => "sending a photo",
                    other => other,
                };
                self.note(&format!("(bot is {what}…)")).await;
            }
            // Other chats (e.g. a notice to another user): not this person's.
            _ => {}
        }
    }

    async fn show(&mut self, message: BotMessage, edited: bool) {
        // An earlier screen only lost its buttons (a newer one replaced it):
        // nothing new to read, so nothing is printed.
        if edited
            && message.buttons.is_empty()
            && self
                .shown
                .get(&message.message_id)
                .is_some_and(|old| old.text == message.text)
        {
            if self.current == Some(message.message_id) {
                self.current = None;
            }
            self.shown.insert(message.message_id, message);
            return;
        }
        let mut t = String::new();
        let head = if edited {
            "bot (updated) › "
        } else {
            "bot › "
        };
        if message.photo.is_some() || message.photo_url.is_some() {
            t.push_str(head);
            t.push_str(&photo_text(&message));
            let caption = message.plain();
            if !caption.trim().is_empty() {
                push_indented(&mut t, &caption);
            }
        } else {
            let text = message.plain();
            let mut lines = text.lines();
            t.push_str(head);
            t.push_str(lines.next().unwrap_or_default());
            t.push('\n');
            push_indented(&mut t, &lines.collect::<Vec<_>>().join("\n"));
        }
        for (i, button) in message.all_buttons().enumerate() {
            t.push_str(&format!("{INDENT}[{}] {}", i + 1, button.text));
            if button.callback_data.is_none()
                && let Some(url) = &button.url
            {
                t.push_str(&format!(" ({url})"));
            }
            t.push('\n');
        }
        t.push('\n');

        let id = message.message_id;
        let has_buttons = !message.buttons.is_empty();
        self.shown.insert(id, message);
        if has_buttons {
            self.current = Some(id);
        } else if self.current == Some(id) {
            // Its buttons are gone: numbers press nothing until new ones show.
            self.current = None;
        }
        self.write(&t).await;
    }
}

/// A photo as text: the QR it holds, drawn with blocks, or a placeholder.
fn photo_text(message: &BotMessage) -> String {
    let bytes = message.photo.as_deref().unwrap_or_default();
    if bytes.is_empty() {
        return match &message.photo_url {
            Some(url) => format!("[photo: {url}]\n"),
            None => "[photo]\n".to_owned(),
        };
    }
    let Some(content) = crate::receipt::decode_qr(bytes) else {
        return "[photo: an image without a readable QR code]\n".to_owned();
    };
    let mut t = format!("[photo: a QR code holding {content}]\n");
    match crate::receipt::qr_terminal(&content) {
        Ok(drawing) => push_indented(&mut t, &drawing),
        Err(e) => t.push_str(&format!("{INDENT}(cannot draw it here: {e})\n")),
    }
    t
}

/// `text`'s lines, each after the margin (empty lines stay empty).
fn push_indented(t: &mut String, text: &str) {
    for line in text.lines() {
        if !line.trim().is_empty() {
            t.push_str(INDENT);
            t.push_str(line.trim_end());
        }
        t.push('\n');
    }
}

/// At most `max` bytes of `s`, cut on a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_whole_characters() {
        assert_eq!(cut("İSKİ", 2), "İ");
        assert_eq!(cut("İSKİ", 1), "");
        assert_eq!(cut("abc", 10), "abc");
    }

    #[test]
    fn a_receipt_qr_is_read_back_and_drawn() {
        let png = crate::receipt::qr_png("BP022FOY481070").expect("encodes");
        assert_eq!(
            crate::receipt::decode_qr(&png).as_deref(),
            Some("BP022FOY481070")
        );
        let message = BotMessage {
            message_id: 1,
            text: String::new(),
            parse_mode: None,
            buttons: vec![],
            photo: Some(png),
            photo_url: None,
            edited: false,
        };
        let text = photo_text(&message);
        assert!(text.contains("BP022FOY481070"));
        assert!(text.contains('█') || text.contains('▀') || text.contains('▄'));
    }

    #[test]
    fn garbage_is_not_a_qr() {
        assert_eq!(crate::receipt::decode_qr(b"not an image"), None);
    }
}
