// 推荐商品：客服面板里为当前会话的客户推荐的商品卡片、搜索在售商品并一键发送。
export const recommendationsMessages = {
  title: "推荐商品",
  refresh: "刷新",
  empty: "暂时没有适合这位客户的商品",
  loadError: "推荐加载失败：{detail}",
  reasons: { asked: "问过", viewed: "看过", bought: "买过", same_category: "同类" },
  send: "发送",
  sent: "已发送",
  open: "查看商品页",
  cannotWrite: "你没有在接待这个会话，不能发送",
  search: "搜索商品",
  searchPlaceholder: "按名称或分类搜索在售商品",
  noResults: "没有找到在售的商品",
  searchError: "搜索失败：{detail}",
  errors: {
    forbidden: "不能在这个会话里发送：{detail}",
    conversationClosed: "会话已结束，不能再发送",
    replyWindowClosed: "渠道的回复时限已过：{detail}",
    other: "发送失败：{detail}",
  },
};
