import en from "element-plus/es/locale/lang/en";
import zhCn from "element-plus/es/locale/lang/zh-cn";
import { computed } from "vue";
import { createI18n } from "vue-i18n";

import { messages as enMessages } from "./en";
import { messages as zhMessages } from "./zh-CN";

export type Locale = "zh-CN" | "en";
const LOCALE_KEY = "huiliu.locale";

function initialLocale(): Locale {
  const saved = localStorage.getItem(LOCALE_KEY);
  return saved === "en" || saved === "zh-CN" ? saved : "zh-CN";
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: "zh-CN",
  messages: { "zh-CN": zhMessages, en: enMessages },
});

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  localStorage.setItem(LOCALE_KEY, locale);
  document.documentElement.lang = locale;
}

/** Element Plus's own strings (date pickers, pagination) in the same language. */
export const elementLocale = computed(() => (i18n.global.locale.value === "en" ? en : zhCn));
