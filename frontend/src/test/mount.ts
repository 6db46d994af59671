// Mounting components the way the app does: Element Plus, i18n (Chinese), a fresh Pinia.
import { mount, type ComponentMountingOptions } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createPinia, setActivePinia } from "pinia";
import type { Component } from "vue";

import { i18n } from "@/i18n";

export function mountWithApp<C extends Component>(component: C, options: ComponentMountingOptions<C> = {}) {
  const pinia = createPinia();
  setActivePinia(pinia);
  return mount(component, {
    ...options,
    global: { plugins: [ElementPlus, i18n, pinia], ...(options.global ?? {}) },
  } as ComponentMountingOptions<C>);
}
