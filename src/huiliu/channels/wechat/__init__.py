"""The WeChat official account channel: ``adapter`` (settings, replies out), ``api`` (the
server URL WeChat pushes to), ``inbound`` (pushes into the pipeline), ``outgoing``
(contents as customer-service messages), ``client`` (WeChat's API and the access token),
``crypto`` (signatures, safe mode), ``push`` (the XML). docs/channels/wechat.md."""
