import "element-plus/dist/index.css";
import "./style.css";

import ElementPlus from "element-plus";
import { createPinia } from "pinia";
import { createApp } from "vue";

import App from "./App.vue";
import { i18n } from "./i18n";
import { router } from "./router";
import { connectHttp } from "./stores/session";

const app = createApp(App);
app.use(createPinia());
connectHttp(() => void router.push({ path: "/login", query: { expired: "1" } }));
app.use(i18n);
app.use(router);
app.use(ElementPlus);
app.mount("#app");
