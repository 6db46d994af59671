"""The SMS channel (docs/channels/sms.md): customers text the merchant's number; agents' and
the bot's replies go back as SMS. The gateway sits behind ``providers.SmsProvider``;
Twilio Programmable Messaging is the one shipped."""
