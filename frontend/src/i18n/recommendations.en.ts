// Recommended products: product cards for the customer of the open conversation in the
// customer panel, searching products on sale, and sending one in a click.
export const recommendationsMessages = {
  title: "Recommended products",
  refresh: "Refresh",
  empty: "Nothing fits this customer yet",
  loadError: "Could not load recommendations: {detail}",
  reasons: { asked: "Asked", viewed: "Viewed", bought: "Bought", same_category: "Similar" },
  send: "Send",
  sent: "Sent",
  open: "Open the product page",
  cannotWrite: "You are not serving this conversation, so you cannot send here",
  search: "Search products",
  searchPlaceholder: "Products on sale by name or category",
  noResults: "No product on sale matches",
  searchError: "Search failed: {detail}",
  errors: {
    forbidden: "You may not send in this conversation: {detail}",
    conversationClosed: "The conversation has ended; nothing more can be sent",
    replyWindowClosed: "The channel's reply window has passed: {detail}",
    other: "Could not send: {detail}",
  },
};
