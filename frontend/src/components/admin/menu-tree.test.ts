import { afterEach, describe, expect, it } from "vitest";
import { nextTick, ref } from "vue";
import type { VueWrapper } from "@vue/test-utils";

import { applyOp, fromMenu, newNode, nextId, toMenu, validateMenu, type MenuDraft } from "./menu-tree";
import MenuTreeEditor from "./MenuTreeEditor.vue";
import { mountAdmin } from "./test-helpers";

function tree(): MenuDraft[] {
  return fromMenu([
    { id: "a", label: "Orders", action: "answer", entry_id: 7 },
    { id: "b", label: "Shipping", action: "answer", text: "3 days" },
    { id: "c", label: "People", action: "handoff", group_id: null },
  ]);
}

const ctx = { flows: ["order_status"], hasMerchantApi: true };

describe("menu tree operations", () => {
  it("keeps only each action's fields in the JSON", () => {
    const t = tree();
    t[0]!.text = "left over";
    t[0]!.flow = "order_status";
    expect(toMenu(t)).toEqual([
      { id: "a", label: "Orders", action: "answer", entry_id: 7 },
      { id: "b", label: "Shipping", action: "answer", text: "3 days" },
      { id: "c", label: "People", action: "handoff", group_id: null },
    ]);
  });

  it("adds at the top with the smallest unused id", () => {
    const t = tree();
    expect(nextId(t)).toBe("n1");
    const path = applyOp(t, { kind: "add", path: null });
    expect(path).toEqual([3]);
    expect(t[3]).toMatchObject({ id: "n1", action: "answer", answerKind: "entry" });
    expect(newNode(t).id).toBe("n2");
  });

  it("adds a child, turning the parent into a sub-menu", () => {
    const t = tree();
    const path = applyOp(t, { kind: "add", path: [1] });
    expect(path).toEqual([1, 0]);
    applyOp(t, { kind: "set", path: [1, 0], patch: { label: "Express", answerKind: "text", text: "next day" } });
    expect(toMenu(t)[1]).toEqual({
      id: "b",
      label: "Shipping",
      action: "submenu",
      children: [{ id: "n1", label: "Express", action: "answer", text: "next day" }],
    });
  });

  it("nests a button under the one above and takes it out again", () => {
    const t = tree();
    expect(applyOp(t, { kind: "indent", path: [1] })).toEqual([0, 0]);
    expect(t.map((n) => n.id)).toEqual(["a", "c"]);
    expect(t[0]!.action).toBe("submenu");
    expect(t[0]!.children.map((n) => n.id)).toEqual(["b"]);
    // a second one goes after it
    expect(applyOp(t, { kind: "indent", path: [1] })).toEqual([0, 1]);
    expect(t[0]!.children.map((n) => n.id)).toEqual(["b", "c"]);
    // out: just after its parent
    expect(applyOp(t, { kind: "outdent", path: [0, 0] })).toEqual([1]);
    expect(t.map((n) => n.id)).toEqual(["a", "b"]);
    expect(t[0]!.children.map((n) => n.id)).toEqual(["c"]);
  });

  it("does not nest the first button of a level", () => {
    const t = tree();
    expect(applyOp(t, { kind: "indent", path: [0] })).toEqual([0]);
    expect(toMenu(t)).toEqual(toMenu(tree()));
  });

  it("moves within its level and stops at the ends", () => {
    const t = tree();
    expect(applyOp(t, { kind: "move", path: [2], delta: -1 })).toEqual([1]);
    expect(t.map((n) => n.id)).toEqual(["a", "c", "b"]);
    expect(applyOp(t, { kind: "move", path: [0], delta: -1 })).toEqual([0]);
    expect(t.map((n) => n.id)).toEqual(["a", "c", "b"]);
    applyOp(t, { kind: "add", path: [0] });
    applyOp(t, { kind: "add", path: [0] });
    expect(applyOp(t, { kind: "move", path: [0, 1], delta: -1 })).toEqual([0, 0]);
    expect(t[0]!.children.map((n) => n.id)).toEqual(["n2", "n1"]);
  });

  it("removes a node with its children", () => {
    const t = tree();
    applyOp(t, { kind: "add", path: [0] });
    applyOp(t, { kind: "remove", path: [0] });
    expect(t.map((n) => n.id)).toEqual(["b", "c"]);
    applyOp(t, { kind: "remove", path: [5] }); // nothing there: nothing happens
    expect(t).toHaveLength(2);
  });

  it("builds a nested menu from nothing to the exact JSON", () => {
    const t: MenuDraft[] = [];
    applyOp(t, { kind: "add", path: null }); // n1
    applyOp(t, { kind: "set", path: [0], patch: { label: "Help" } });
    applyOp(t, { kind: "add", path: [0] }); // n2 under n1
    applyOp(t, { kind: "set", path: [0, 0], patch: { label: "Order", action: "flow", flow: "order_status" } });
    applyOp(t, { kind: "add", path: [0, 0] }); // n3 under n2: n2 becomes a sub-menu
    applyOp(t, { kind: "set", path: [0, 0, 0], patch: { label: "Human", action: "handoff", group_id: 4 } });
    applyOp(t, { kind: "set", path: [0, 0], patch: { label: "More" } });
    applyOp(t, { kind: "add", path: null }); // n4
    applyOp(t, { kind: "set", path: [1], patch: { label: "FAQ", entry_id: 12 } });
    expect(JSON.parse(JSON.stringify(toMenu(t)))).toEqual([
      {
        id: "n1",
        label: "Help",
        action: "submenu",
        children: [
          { id: "n2", label: "More", action: "submenu", children: [{ id: "n3", label: "Human", action: "handoff", group_id: 4 }] },
        ],
      },
      { id: "n4", label: "FAQ", action: "answer", entry_id: 12 },
    ]);
    expect(validateMenu(t, ctx)).toEqual([]);
  });

  it("reads a server menu back unchanged", () => {
    const menu = [
      { id: "x", label: "A", action: "submenu" as const, children: [{ id: "y", label: "B", action: "flow" as const, flow: "order_status" }] },
      { id: "z", label: "C", action: "answer" as const, text: "hi" },
    ];
    expect(toMenu(fromMenu(menu))).toEqual(menu);
  });

  it("says what the server would refuse", () => {
    const t = tree();
    applyOp(t, { kind: "set", path: [0], patch: { label: " ", entry_id: null } });
    applyOp(t, { kind: "set", path: [1], patch: { text: "" } });
    applyOp(t, { kind: "set", path: [2], patch: { action: "flow", flow: "gone" } });
    applyOp(t, { kind: "add", path: null });
    applyOp(t, { kind: "set", path: [3], patch: { action: "submenu" } });
    const keys = validateMenu(t, { flows: ["order_status"], hasMerchantApi: false }).map((p) => `${p.path.join(".")}:${p.key}`);
    expect(keys).toEqual(["0:label", "0:entry", "1:text", "2:flowMissing", "2:merchantApi", "3:label", "3:children"]);
  });
});

describe("MenuTreeEditor", () => {
  let wrapper: VueWrapper | undefined;
  afterEach(() => wrapper?.unmount());

  function mountEditor(initial: MenuDraft[] = []) {
    const model = ref<MenuDraft[]>(initial);
    wrapper = mountAdmin(MenuTreeEditor, {
      props: {
        modelValue: model.value,
        "onUpdate:modelValue": (v: MenuDraft[]) => (model.value = v),
        flows: [{ key: "order_status", label: "Order status" }],
        groups: [{ id: 4, name: "Sales" }],
        hasMerchantApi: true,
      },
    });
    return { model, wrapper };
  }

  const nodes = (w: VueWrapper) => w.findAll("[data-test=menu-node]").map((n) => `${n.attributes("data-path")}=${n.attributes("data-id")}`);

  it("adds, nests, moves and removes through its buttons", async () => {
    const { model, wrapper: w } = mountEditor();
    expect(w.find("[data-test=menu-empty]").exists()).toBe(true);
    await w.find("[data-test=menu-add]").trigger("click");
    await w.find("[data-test=menu-add]").trigger("click");
    await w.find("[data-test=menu-add]").trigger("click");
    expect(nodes(w)).toEqual(["0=n1", "1=n2", "2=n3"]);

    // n2 into n1's sub-menu
    await w.findAll("[data-test=menu-indent]")[1]!.trigger("click");
    expect(nodes(w)).toEqual(["0=n1", "0.0=n2", "1=n3"]);
    // a child for n3
    await w.findAll("[data-test=menu-add-child]")[2]!.trigger("click");
    expect(nodes(w)).toEqual(["0=n1", "0.0=n2", "1=n3", "1.0=n4"]);
    // n3 up above n1
    await w.findAll("[data-test=menu-up]")[2]!.trigger("click");
    expect(nodes(w)).toEqual(["0=n3", "0.0=n4", "1=n1", "1.0=n2"]);
    // n2 out of n1
    await w.findAll("[data-test=menu-outdent]")[3]!.trigger("click");
    expect(nodes(w)).toEqual(["0=n3", "0.0=n4", "1=n1", "2=n2"]);

    expect(toMenu(model.value).map((n) => [n.id, n.action, n.children?.map((c) => c.id) ?? null])).toEqual([
      ["n3", "submenu", ["n4"]],
      ["n1", "submenu", []],
      ["n2", "answer", null],
    ]);
    // n1 lost its only child: a sub-menu without children is flagged
    await nextTick();
    const problems = w.findAll("[data-test=menu-problem]").map((p) => p.text());
    expect(problems).toContain("A sub-menu needs at least one button inside");
  });

  it("edits a label and answers with a fixed text", async () => {
    const { model, wrapper: w } = mountEditor();
    await w.find("[data-test=menu-add]").trigger("click");
    await w.find("input[data-test=menu-label]").setValue("Opening hours");
    await w.find("[data-test=menu-answer-text] input").setValue(true);
    await nextTick();
    await w.find("textarea[data-test=menu-text]").setValue("9:00–18:00 every day");
    expect(toMenu(model.value)).toEqual([{ id: "n1", label: "Opening hours", action: "answer", text: "9:00–18:00 every day" }]);
    expect(w.findAll("[data-test=menu-problem]")).toHaveLength(0);
  });

  it("removes a button after confirming", async () => {
    const { model, wrapper: w } = mountEditor(tree());
    await w.findAll("[data-test=menu-remove]")[0]!.trigger("click");
    await new Promise((r) => setTimeout(r, 50)); // the popover opens after a tick of its own
    const confirm = [...document.querySelectorAll<HTMLButtonElement>(".el-popconfirm__action .el-button--primary")].at(-1);
    expect(confirm).toBeDefined();
    confirm!.click();
    await nextTick();
    expect(model.value.map((n) => n.id)).toEqual(["b", "c"]);
  });
});
