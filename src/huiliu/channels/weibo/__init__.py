"""The Weibo channel (docs/channels/weibo.md): private messages to a merchant's Weibo
account through the fan-service platform's message push (粉丝服务平台 · 消息推送服务), and
replies through its reply API within Weibo's 48 hours."""
