"""The e-mail channel (docs/channels/email.md): customers write to a merchant's mailbox;
mail comes in through the embedded SMTP server or by polling the mailbox over IMAP, and
the agents' and the bot's replies go out over the merchant's SMTP server, threaded so the
customer's mail program shows one conversation."""
