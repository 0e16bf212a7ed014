-- Argo CD health of a ModelMonitor, from its kstatus conditions. Install under
-- resource.customizations.health.modelmonitor.io_ModelMonitor in argocd-cm.
-- The order is kstatus's (sigs.k8s.io/cli-utils pkg/kstatus/status/generic.go, checkGenericProperties):
-- deletion, then an unobserved generation, then the first of Reconciling=True / Stalled=True in list order; only
-- then Ready. So a Stalled condition from an older spec does not show Degraded once the spec has changed.
local hs = {}
if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "spec.suspend is true: no Pulumi runs"
  return hs
end
if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil and obj.metadata.deletionTimestamp ~= "" then
  hs.status = "Progressing"
  hs.message = "Resource scheduled for deletion"
  return hs
end
if obj.status == nil or obj.status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report"
  return hs
end
local generation = obj.metadata ~= nil and obj.metadata.generation or nil
local observed = obj.status.observedGeneration
if generation ~= nil and observed ~= nil and observed ~= generation then
  hs.status = "Progressing"
  hs.message = "The operator has not yet acted on the latest spec"
  return hs
end
local function said(condition)
  if condition.message ~= nil and condition.message ~= "" then
    return condition.message
  end
  return condition.reason or ""
end
local ready = nil
for _, condition in ipairs(obj.status.conditions) do
  if condition.type == "Reconciling" and condition.status == "True" then
    hs.status = "Progressing"
    hs.message = said(condition)
    return hs
  end
  if condition.type == "Stalled" and condition.status == "True" then
    hs.status = "Degraded"
    hs.message = said(condition)
    return hs
  end
  if condition.type == "Ready" then
    ready = condition
  end
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = said(ready)
  return hs
end
if ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  hs.message = said(ready)
  return hs
end
hs.status = "Progressing"
hs.message = "Waiting for the Ready condition"
return hs
