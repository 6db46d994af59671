// 组织：权限目录、角色页和服务中心页的文案（合并进 admin.*）。
export const orgMessages = {
  // Nested as the permission names read ("kb.edit" → kb.edit.label).
  permissions: {
    conversations: {
      monitor: { label: "会话监控", hint: "实时监控；查看、分配、转接、介入范围内其他人的会话" },
    },
    tickets: {
      manage: { label: "管理工单", hint: "处理范围内的全部工单，而不只是自己的和所在组的" },
    },
    replies: {
      manage: { label: "团队快捷回复", hint: "新建、修改、删除全团队共用的快捷回复" },
    },
    reports: {
      view: { label: "查看报表", hint: "报表、明细、导出，以及满意度调查结果" },
    },
    quality: {
      review: { label: "质检", hint: "质检表、抽样、评分和申诉处理" },
    },
    kb: {
      edit: { label: "知识库与机器人", hint: "知识库、机器人设置、菜单与流程、未解决问题" },
    },
    agents: {
      manage: { label: "管理账号", hint: "邀请、编辑、停用账号，设置接待上限" },
    },
    routing: {
      manage: { label: "技能组与分配", hint: "技能组及其成员、分配规则、工作时间" },
    },
    org: {
      manage: { label: "角色与服务中心", hint: "定义角色及其权限，管理服务中心" },
    },
    marketing: {
      manage: { label: "营销", hint: "标签规则、客户分群、营销活动与模板、发送频率上限" },
    },
    channels: {
      manage: { label: "渠道接入", hint: "渠道账号和网页插件" },
    },
    settings: {
      manage: { label: "系统设置", hint: "API 密钥、Webhook、满意度 / 工单 / 报表 / 质检设置、商户接口密钥" },
    },
  },

  permissionGroups: {
    service: "服务",
    insight: "数据与质量",
    content: "内容",
    marketing: "营销",
    team: "团队与组织",
    setup: "接入与设置",
  },
  scopes: {
    tenant: { label: "全商户", hint: "商户的所有技能组（包括未分组的会话和工单）" },
    centre: { label: "本服务中心", hint: "持有人所在服务中心的技能组，以及持有人自己所在的组" },
    groups: { label: "本人所在组", hint: "只限持有人自己所在的技能组" },
  },
  bases: { agent: "客服席位", supervisor: "主管席位", admin: "管理员" },
  access: {
    title: "角色权限",
    subtitle: "角色是一组权限加一个范围：持有人能做什么，以及对哪些技能组。每个人都能服务分配给自己的会话。",
    create: "新建角色",
    none: "还没有角色",
    name: "名称",
    kind: "席位",
    scope: "范围",
    permissions: "权限",
    holders: "持有人",
    holdersN: "{n} 人",
    builtin: "内置",
    noPermissions: "无额外权限",
    allPermissions: "全部权限",
    createTitle: "新建角色",
    editTitle: "编辑角色「{name}」",
    nameRequired: "请填写角色名称",
    nameFixed: "内置角色的名称不能修改",
    baseHint: "决定持有人算作客服还是主管（客服席位的人会列在客服报表中）；创建后不能更改。",
    scopeHint: "权限作用于哪些技能组的会话、工单、账号和报表。",
    adminReadonly: "管理员角色拥有整个商户的全部权限，不能修改。",
    cannotGrant: "你自己没有这项权限，不能授予",
    cannotGrantScope: "你的范围不是全商户，只能授予「本人所在组」范围",
    deleteConfirm: "删除角色「{name}」？",
    deleteBuiltin: "内置角色不能删除",
    inUse: "还有 {n} 个账号持有角色「{name}」：请先在账号页给他们换一个角色，再删除。",
    nameTaken: "已有名为「{name}」的角色",
    nothingChanged: "没有修改",
  },
  centres: {
    title: "服务中心",
    subtitle: "把技能组和人员归到服务中心（如城市或分公司）；范围为「本服务中心」的角色只管本中心。",
    create: "新建服务中心",
    none: "还没有服务中心",
    name: "名称",
    groups: "技能组",
    people: "人员",
    count: "{n} 个",
    peopleCount: "{n} 人",
    rename: "重命名",
    createTitle: "新建服务中心",
    renameTitle: "重命名「{name}」",
    nameRequired: "请填写名称",
    nameTaken: "已有名为「{name}」的服务中心",
    deleteConfirm: "删除服务中心「{name}」？",
    notEmpty: "服务中心「{name}」里还有 {groups} 个技能组、{people} 个人：先在技能组页和账号页把它们移出，再删除。",
    assignHint: "在技能组页和账号页把技能组和人员放进服务中心。",
  },
};
