// The bot's navigation menu as the editor holds it, and the operations on it: add a button,
// nest it (as a child of the button above), take it out a level, move it up or down,
// remove it, change its fields; `toMenu` gives the JSON PUT /tenant/bot takes (only the
// fields the button's action uses), `validateMenu` says what the server would refuse.
import type { MenuAction, MenuNodeIn } from "@/api/admin-types";
import type { MenuNode } from "@/api/types";

/** The server's limits (BotSettings.menu, MenuNode.children, MenuNode.label). */
export const MAX_BUTTONS = 12;
export const MAX_LABEL = 40;
export const MAX_TEXT = 2000;
export const MAX_DEPTH = 5;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,40}$/;

export interface MenuDraft {
  /** The server's id: a tapped button comes back as `menu:<id>`, so existing ids stay. */
  id: string;
  label: string;
  action: MenuAction;
  /** answer: a knowledge-base entry, or a fixed text. */
  answerKind: "entry" | "text";
  entry_id: number | null;
  text: string;
  flow: string | null;
  group_id: number | null;
  children: MenuDraft[];
}

/** Where a node is: its index at each level from the root. */
export type MenuPath = readonly number[];

export type MenuOp =
  | { kind: "add"; path: MenuPath | null } // a new button under `path` (null: at the top)
  | { kind: "remove"; path: MenuPath }
  | { kind: "move"; path: MenuPath; delta: -1 | 1 }
  | { kind: "indent"; path: MenuPath } // into the previous sibling, as its last child
  | { kind: "outdent"; path: MenuPath } // out of its parent, just after it
  | { kind: "set"; path: MenuPath; patch: Partial<Omit<MenuDraft, "children" | "id">> };

export function fromMenu(nodes: readonly (MenuNode | MenuNodeIn)[]): MenuDraft[] {
  return nodes.map((n) => ({
    id: n.id,
    label: n.label,
    action: n.action,
    answerKind: n.action === "answer" && (n.entry_id === null || n.entry_id === undefined) ? "text" : "entry",
    entry_id: n.entry_id ?? null,
    text: n.text ?? "",
    flow: n.flow ?? null,
    group_id: n.group_id ?? null,
    children: fromMenu(n.children ?? []),
  }));
}

/** The JSON for PUT /tenant/bot: each node with only what its action uses. */
export function toMenu(drafts: readonly MenuDraft[]): MenuNodeIn[] {
  return drafts.map((d): MenuNodeIn => {
    const base = { id: d.id, label: d.label.trim(), action: d.action };
    switch (d.action) {
      case "answer":
        return d.answerKind === "entry" ? { ...base, entry_id: d.entry_id } : { ...base, text: d.text.trim() };
      case "submenu":
        return { ...base, children: toMenu(d.children) };
      case "flow":
        return { ...base, flow: d.flow };
      case "handoff":
        return { ...base, group_id: d.group_id };
    }
  });
}

function* walk(drafts: readonly MenuDraft[]): Generator<MenuDraft> {
  for (const d of drafts) {
    yield d;
    yield* walk(d.children);
  }
}

/** The smallest `n<k>` no node uses. */
export function nextId(tree: readonly MenuDraft[]): string {
  const used = new Set([...walk(tree)].map((d) => d.id));
  let k = 1;
  while (used.has(`n${k}`)) k += 1;
  return `n${k}`;
}

export function newNode(tree: readonly MenuDraft[], label = ""): MenuDraft {
  return {
    id: nextId(tree),
    label,
    action: "answer",
    answerKind: "entry",
    entry_id: null,
    text: "",
    flow: null,
    group_id: null,
    children: [],
  };
}

/** The list holding the node at `path`, and its index there (undefined: no such node). */
function locate(tree: MenuDraft[], path: MenuPath): { list: MenuDraft[]; index: number } | undefined {
  let list = tree;
  for (let level = 0; level < path.length - 1; level += 1) {
    const node = list[path[level] as number];
    if (!node) return undefined;
    list = node.children;
  }
  const index = path[path.length - 1];
  if (index === undefined || !list[index]) return undefined;
  return { list, index };
}

export function nodeAt(tree: MenuDraft[], path: MenuPath): MenuDraft | undefined {
  const at = locate(tree, path);
  return at ? at.list[at.index] : undefined;
}

/** Apply one edit in place; returns the path of the node it leaves selected (or null). */
export function applyOp(tree: MenuDraft[], op: MenuOp): MenuPath | null {
  switch (op.kind) {
    case "add": {
      const node = newNode(tree);
      if (op.path === null) {
        if (tree.length >= MAX_BUTTONS) return null;
        tree.push(node);
        return [tree.length - 1];
      }
      const parent = nodeAt(tree, op.path);
      if (!parent || parent.children.length >= MAX_BUTTONS || op.path.length >= MAX_DEPTH) return null;
      parent.action = "submenu";
      parent.children.push(node);
      return [...op.path, parent.children.length - 1];
    }
    case "remove": {
      const at = locate(tree, op.path);
      if (!at) return null;
      at.list.splice(at.index, 1);
      return null;
    }
    case "move": {
      const at = locate(tree, op.path);
      if (!at) return null;
      const to = at.index + op.delta;
      if (to < 0 || to >= at.list.length) return op.path;
      const [node] = at.list.splice(at.index, 1);
      at.list.splice(to, 0, node as MenuDraft);
      return [...op.path.slice(0, -1), to];
    }
    case "indent": {
      const at = locate(tree, op.path);
      if (!at || at.index === 0 || op.path.length >= MAX_DEPTH) return op.path;
      const parent = at.list[at.index - 1] as MenuDraft;
      if (parent.children.length >= MAX_BUTTONS) return op.path;
      const [node] = at.list.splice(at.index, 1);
      parent.action = "submenu";
      parent.children.push(node as MenuDraft);
      return [...op.path.slice(0, -1), at.index - 1, parent.children.length - 1];
    }
    case "outdent": {
      if (op.path.length < 2) return op.path;
      const at = locate(tree, op.path);
      const parentPath = op.path.slice(0, -1);
      const up = locate(tree, parentPath);
      if (!at || !up || up.list.length >= MAX_BUTTONS) return op.path;
      const [node] = at.list.splice(at.index, 1);
      up.list.splice(up.index + 1, 0, node as MenuDraft);
      return [...parentPath.slice(0, -1), up.index + 1];
    }
    case "set": {
      const node = nodeAt(tree, op.path);
      if (!node) return null;
      Object.assign(node, op.patch);
      return op.path;
    }
  }
}

export interface MenuProblem {
  path: number[];
  /** An i18n key under admin.bot.menuErrors. */
  key: string;
  label: string;
}

/** What the server would refuse (BotSettings._bands, MenuNode._complete), per node. */
export function validateMenu(
  tree: readonly MenuDraft[],
  context: { flows: readonly string[]; hasMerchantApi: boolean },
): MenuProblem[] {
  const problems: MenuProblem[] = [];
  const seen = new Set<string>();
  const visit = (list: readonly MenuDraft[], prefix: number[]): void => {
    if (list.length > MAX_BUTTONS) problems.push({ path: prefix, key: "tooMany", label: "" });
    list.forEach((d, i) => {
      const path = [...prefix, i];
      const label = d.label.trim();
      const add = (key: string): void => void problems.push({ path, key, label: label || d.id });
      if (!label) add("label");
      else if (label.length > MAX_LABEL) add("labelLong");
      if (!ID_PATTERN.test(d.id)) add("id");
      if (seen.has(d.id)) add("idTwice");
      seen.add(d.id);
      if (d.action === "answer") {
        if (d.answerKind === "entry" && d.entry_id === null) add("entry");
        if (d.answerKind === "text" && !d.text.trim()) add("text");
        if (d.answerKind === "text" && d.text.length > MAX_TEXT) add("textLong");
      }
      if (d.action === "submenu" && d.children.length === 0) add("children");
      if (d.action === "flow") {
        if (!d.flow) add("flow");
        else if (!context.flows.includes(d.flow)) add("flowMissing");
        if (!context.hasMerchantApi) add("merchantApi");
      }
      if (d.action === "submenu") visit(d.children, path);
    });
  };
  visit(tree, []);
  return problems;
}
