//! [`Ctx`]: who sent this update, in which language to answer, and the
//! reply helpers every handler uses.
//!
//! Handlers run their body through [`Ctx::guard`]: an error nobody handled
//! still ends in a polite message in the user's language, and in the log.

use std::sync::Arc;

use teloxide::{
    ApiError, RequestError,
    prelude::*,
    types::{CallbackQueryId, InputFile, MessageId, ReplyMarkup},
};
use tracing::Instrument;

use super::{
    App, HandlerResult, TgBot,
    inflight::Ticket,
    screens::{MAX_CAPTION_CHARS, Screen, Texts},
};
use crate::{i18n::Lang, money::Amount, payments::TelegramUserId};

#[derive(Clone)]
pub struct Ctx {
    pub app: Arc<App>,
    pub bot: TgBot,
    pub update_id: u32,
    pub user_id: TelegramUserId,
    pub chat_id: ChatId,
    pub lang: Lang,
    pub is_agent: bool,
    /// Keeps this update listed in [`App::in_flight`] while it is handled.
    pub(crate) _handling: Arc<Ticket>,
}

impl Ctx {
    /// Builds the context of an update from a private chat; `None` for
    /// updates the bot does not serve (groups, channels, no sender, a
    /// button on an inline message, or a chat that is not the sender's own:
    /// a private chat's id is its user's, and nothing else may act there).
    pub async fn load(app: Arc<App>, bot: TgBot, update: &Update) -> Option<Ctx> {
        let user = update.from()?;
        let chat = update.chat()?;
        if !chat.is_private() || i64::try_from(user.id.0).ok() != Some(chat.id.0) {
            return None;
        }
        let user_id = TelegramUserId(user.id.0);
        let record = app.store.users.get(user_id).await.unwrap_or_default();
        if record.blocked {
            // They write to the bot again: reminders may reach them again.
            if let Err(e) = app.store.users.set_blocked(user_id, false).await {
                tracing::warn!(user_id = user_id.0, error = %e, "could not clear the blocked mark");
            }
        }
        let lang = record
            .lang
            .unwrap_or_else(|| Lang::from_code(user.language_code.as_deref()));
        let handling = Arc::new(app.in_flight.enter(update.id.0, user_id.0));
        Some(Ctx {
            _handling: handling,
            is_agent: app.is_agent(user_id),
            app,
            bot,
            update_id: update.id.0,
            user_id,
            chat_id: chat.id,
            lang,
        })
    }

    /// This user's texts, for the screens.
    pub fn texts(&self) -> Texts<'_> {
        Texts::new(&self.app.i18n, self.lang)
    }

    pub fn t(&self, key: &'static str) -> &str {
        self.app.i18n.get(self.lang, key)
    }

    pub fn f(&self, key: &'static str, args: &[(&str, &str)]) -> String {
        self.app.i18n.fmt(self.lang, key, args)
    }

    pub fn money(&self, amount: Amount, currency: &str) -> String {
        self.app.i18n.money(self.lang, amount, currency)
    }

    /// The same update, written to another user (a payer an agent acted
    /// for) in that user's chat and language.
    pub fn for_user(&self, user: TelegramUserId, chat_id: i64, lang: Lang) -> Ctx {
        Ctx {
            lang,
            chat_id: ChatId(chat_id),
            user_id: user,
            is_agent: false,
            ..self.clone()
        }
    }

    /// Runs a handler body in the update's span; an unhandled error is
    /// logged and the user told.
    pub async fn guard(&self, body: impl Future<Output = HandlerResult>) -> HandlerResult {
        self.guard_step("-", body).await
    }

    /// [`Ctx::guard`] for a handler of dialogue step `step`.
    pub async fn guard_step(
        &self,
        step: &'static str,
        body: impl Future<Output = HandlerResult>,
    ) -> HandlerResult {
        let span = tracing::info_span!(
            "update",
            update_id = self.update_id,
            user_id = self.user_id.0,
            agent = self.is_agent,
            step,
        );
        async {
            tracing::debug!("handling");
            if let Err(error) = body.await {
                tracing::error!(error = %format!("{error:#}"), "handler failed");
                let _ = self.send(self.t("error.internal")).await;
            }
        }
        .instrument(span)
        .await;
        Ok(())
    }

    /// A live press whose action this step does not offer.
    pub async fn expired(&self) -> HandlerResult {
        self.send(self.t("button.expired")).await?;
        Ok(())
    }

    /// Answers a callback query; `text` shows as a small notice.
    pub async fn answer(&self, id: &CallbackQueryId, text: Option<&str>) {
        let mut req = self.bot.answer_callback_query(id.clone());
        if let Some(t) = text {
            req = req.text(t.to_owned());
        }
        if let Err(e) = req.await {
            tracing::debug!(error = %e, "answerCallbackQuery failed");
        }
    }

    /// Sends a text without buttons.
    pub async fn send(&self, html: impl Into<String>) -> Result<Message, RequestError> {
        self.send_screen(Screen::text(html)).await
    }

    pub async fn send_screen(&self, screen: Screen) -> Result<Message, RequestError> {
        let mut req = self.bot.send_message(self.chat_id, screen.html);
        if let Some(m) = screen.keyboard {
            req = req.reply_markup(ReplyMarkup::InlineKeyboard(m));
        }
        req.await
    }

    /// Replaces the text (and buttons) of `message`, or sends a new message
    /// when there is none to edit or it cannot be edited any more. Returns
    /// the message shown.
    pub async fn show(
        &self,
        message: Option<MessageId>,
        screen: Screen,
    ) -> Result<MessageId, RequestError> {
        if let Some(id) = message {
            let mut req = self
                .bot
                .edit_message_text(self.chat_id, id, screen.html.clone());
            if let Some(m) = screen.keyboard.clone() {
                req = req.reply_markup(m);
            }
            match req.await {
                Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => return Ok(id),
                Err(e) => tracing::debug!(error = %e, "edit failed, sending anew"),
            }
        }
        self.send_screen(screen).await.map(|m| m.id)
    }

    /// [`Ctx::show`] of a text without buttons.
    pub async fn show_text(
        &self,
        message: Option<MessageId>,
        html: impl Into<String>,
    ) -> Result<MessageId, RequestError> {
        self.show(message, Screen::text(html)).await
    }

    /// [`Ctx::show_text`] where a dialogue screen was: that message is no
    /// screen any more, so a later one leaves it be.
    pub async fn show_end(
        &self,
        message: Option<MessageId>,
        html: impl Into<String>,
    ) -> Result<MessageId, RequestError> {
        let shown = self.show_text(message, html).await?;
        self.forget_step(shown).await;
        Ok(shown)
    }

    /// Shows a dialogue screen. A screen sent as a new message takes the
    /// buttons off the previous one, so only the live screen has buttons
    /// (theirs would only answer "expired").
    pub async fn show_step(
        &self,
        message: Option<MessageId>,
        screen: Screen,
    ) -> Result<MessageId, RequestError> {
        let shown = self.show(message, screen).await?;
        let previous = self.app.store.menus.replace(self.chat_id.0, shown.0).await;
        if let Some(old) = previous.filter(|old| *old != shown.0) {
            self.strip_buttons(MessageId(old)).await;
        }
        Ok(shown)
    }

    /// The dialogue screen `message` was turned into something that is not
    /// a dialogue screen (its buttons, if any, stay live): a later screen
    /// must not take them off.
    pub async fn forget_step(&self, message: MessageId) {
        self.app.store.menus.forget(self.chat_id.0, message.0).await;
    }

    /// The dialogue ended by a command: the last screen's buttons go.
    pub async fn end_steps(&self) {
        if let Some(old) = self.app.store.menus.take(self.chat_id.0).await {
            self.strip_buttons(MessageId(old)).await;
        }
    }

    /// Removes the buttons of `message` (best effort: it may be gone).
    pub async fn strip_buttons(&self, message: MessageId) {
        let _ = self
            .bot
            .edit_message_reply_markup(self.chat_id, message)
            .await;
    }

    pub async fn send_photo(&self, png: Vec<u8>, caption: &str) -> Result<(), RequestError> {
        let fits = caption.chars().count() <= MAX_CAPTION_CHARS;
        let mut req = self.bot.send_photo(
            self.chat_id,
            InputFile::memory(png).file_name("receipt.png"),
        );
        if fits {
            req = req.caption(caption.to_owned());
        }
        req.await?;
        if !fits {
            self.send(caption).await?;
        }
        Ok(())
    }
}
