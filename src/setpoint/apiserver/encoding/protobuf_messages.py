"""Kube protobuf message tables for :mod:`setpoint.apiserver.encoding.protobuf` (generated).

Written by ``scripts/gen_protobuf_messages.py`` from kube's generated.proto files and the
Go structs' JSON tags; do not edit by hand.  Sources:

* kubernetes/api master = 10b39a39bcee995dfe7cd5e8e7b922be5e46f1e2
* kubernetes/apimachinery master = eed236ceee2c19c2753a3d93ac0631dc20750454
* kubernetes/apiextensions-apiserver master = 1aa2717a552ee6ca1e2a18f1f8ffccde981db923

Regenerate with::

    python scripts/gen_protobuf_messages.py \
        --api <kubernetes/api> --api-ref 10b39a39bcee \
        --apimachinery <kubernetes/apimachinery> --apimachinery-ref eed236ceee2c \
        --apiextensions <kubernetes/apiextensions-apiserver> --apiextensions-ref 1aa2717a552e \
        -o src/setpoint/apiserver/encoding/protobuf_messages.py
"""

from __future__ import annotations

from typing import Final

#: One entry per proto message: space-separated fields ``number:jsonName:type[:flags]``, in
#: the Go struct's order.  ``type`` is a scalar (``string bytes int32 int64 bool double``),
#: a builtin with a hand-written JSON form (``time microtime duration quantity intorstr
#: fieldsv1 rawext json``) or ``@package.Message``; ``[T]`` is a repeated field and ``{T}``
#: a ``map<string, T>``.  Flags: ``o`` omitempty, ``z`` omitzero, ``p`` a Go pointer, ``i``
#: an embedded struct whose fields are inlined.
MESSAGES: Final[dict[str, str]] = {
    "admissionregistration.ApplyConfiguration": "1:expression:string:o",
    "admissionregistration.AuditAnnotation": "1:key:string 2:valueExpression:string",
    "admissionregistration.ExpressionWarning": "2:fieldRef:string 3:warning:string",
    "admissionregistration.JSONPatch": "1:expression:string:o",
    "admissionregistration.MatchCondition": "1:name:string 2:expression:string",
    "admissionregistration.MatchResources": (
        "1:namespaceSelector:@meta.LabelSelector:op 2:objectSelector:@meta.LabelSelector:op"
        " 3:resourceRules:[@admissionregistration.NamedRuleWithOperations]:o"
        " 4:excludeResourceRules:[@admissionregistration.NamedRuleWithOperations]:o 7:matchPolicy:string:op"
    ),
    "admissionregistration.MutatingAdmissionPolicy": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@admissionregistration.MutatingAdmissionPolicySpec:o"
    ),
    "admissionregistration.MutatingAdmissionPolicyBinding": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@admissionregistration.MutatingAdmissionPolicyBindingSpec:o"
    ),
    "admissionregistration.MutatingAdmissionPolicyBindingSpec": (
        "1:policyName:string:o 2:paramRef:@admissionregistration.ParamRef:op"
        " 3:matchResources:@admissionregistration.MatchResources:op"
    ),
    "admissionregistration.MutatingAdmissionPolicySpec": (
        "1:paramKind:@admissionregistration.ParamKind:op"
        " 2:matchConstraints:@admissionregistration.MatchResources:op"
        " 3:variables:[@admissionregistration.Variable]:o 4:mutations:[@admissionregistration.Mutation]:o"
        " 5:failurePolicy:string:op 6:matchConditions:[@admissionregistration.MatchCondition]:o"
        " 7:reinvocationPolicy:string:o"
    ),
    "admissionregistration.MutatingWebhook": (
        "1:name:string 2:clientConfig:@admissionregistration.WebhookClientConfig"
        " 3:rules:[@admissionregistration.RuleWithOperations]:o 4:failurePolicy:string:op"
        " 9:matchPolicy:string:op 5:namespaceSelector:@meta.LabelSelector:op"
        " 11:objectSelector:@meta.LabelSelector:op 6:sideEffects:string:p 7:timeoutSeconds:int32:op"
        " 8:admissionReviewVersions:[string] 10:reinvocationPolicy:string:op"
        " 12:matchConditions:[@admissionregistration.MatchCondition]:o"
    ),
    "admissionregistration.MutatingWebhookConfiguration": (
        "1:metadata:@meta.ObjectMeta:o 2:webhooks:[@admissionregistration.MutatingWebhook]:o"
    ),
    "admissionregistration.Mutation": (
        "2:patchType:string 3:applyConfiguration:@admissionregistration.ApplyConfiguration:op"
        " 4:jsonPatch:@admissionregistration.JSONPatch:op"
    ),
    "admissionregistration.NamedRuleWithOperations": (
        "1:resourceNames:[string]:o 2::@admissionregistration.RuleWithOperations:i"
    ),
    "admissionregistration.ParamKind": "1:apiVersion:string:o 2:kind:string:o",
    "admissionregistration.ParamRef": (
        "1:name:string:o 2:namespace:string:o 3:selector:@meta.LabelSelector:op"
        " 4:parameterNotFoundAction:string:op"
    ),
    "admissionregistration.Rule": (
        "1:apiGroups:[string]:o 2:apiVersions:[string]:o 3:resources:[string]:o 4:scope:string:op"
    ),
    "admissionregistration.RuleWithOperations": "1:operations:[string]:o 2::@admissionregistration.Rule:i",
    "admissionregistration.ServiceReference": (
        "1:namespace:string 2:name:string 3:path:string:op 4:port:int32:op"
    ),
    "admissionregistration.TypeChecking": "1:expressionWarnings:[@admissionregistration.ExpressionWarning]:o",
    "admissionregistration.ValidatingAdmissionPolicy": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@admissionregistration.ValidatingAdmissionPolicySpec:o"
        " 3:status:@admissionregistration.ValidatingAdmissionPolicyStatus:o"
    ),
    "admissionregistration.ValidatingAdmissionPolicyBinding": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@admissionregistration.ValidatingAdmissionPolicyBindingSpec:o"
    ),
    "admissionregistration.ValidatingAdmissionPolicyBindingSpec": (
        "1:policyName:string:o 2:paramRef:@admissionregistration.ParamRef:op"
        " 3:matchResources:@admissionregistration.MatchResources:op 4:validationActions:[string]:o"
    ),
    "admissionregistration.ValidatingAdmissionPolicySpec": (
        "1:paramKind:@admissionregistration.ParamKind:op"
        " 2:matchConstraints:@admissionregistration.MatchResources:op"
        " 3:validations:[@admissionregistration.Validation]:o 4:failurePolicy:string:op"
        " 5:auditAnnotations:[@admissionregistration.AuditAnnotation]:o"
        " 6:matchConditions:[@admissionregistration.MatchCondition]:o"
        " 7:variables:[@admissionregistration.Variable]:o"
    ),
    "admissionregistration.ValidatingAdmissionPolicyStatus": (
        "1:observedGeneration:int64:o 2:typeChecking:@admissionregistration.TypeChecking:op"
        " 3:conditions:[@meta.Condition]:o"
    ),
    "admissionregistration.ValidatingWebhook": (
        "1:name:string 2:clientConfig:@admissionregistration.WebhookClientConfig"
        " 3:rules:[@admissionregistration.RuleWithOperations]:o 4:failurePolicy:string:op"
        " 9:matchPolicy:string:op 5:namespaceSelector:@meta.LabelSelector:op"
        " 10:objectSelector:@meta.LabelSelector:op 6:sideEffects:string:p 7:timeoutSeconds:int32:op"
        " 8:admissionReviewVersions:[string] 11:matchConditions:[@admissionregistration.MatchCondition]:o"
    ),
    "admissionregistration.ValidatingWebhookConfiguration": (
        "1:metadata:@meta.ObjectMeta:o 2:webhooks:[@admissionregistration.ValidatingWebhook]:o"
    ),
    "admissionregistration.Validation": (
        "1:expression:string 2:message:string:o 3:reason:string:op 4:messageExpression:string:o"
    ),
    "admissionregistration.Variable": "1:name:string 2:expression:string",
    "admissionregistration.WebhookClientConfig": (
        "3:url:string:op 1:service:@admissionregistration.ServiceReference:op 2:caBundle:bytes:o"
    ),
    "apiext.CustomResourceColumnDefinition": (
        "1:name:string 2:type:string 3:format:string:o 4:description:string:o 5:priority:int32:o"
        " 6:jsonPath:string"
    ),
    "apiext.CustomResourceConversion": "1:strategy:string 2:webhook:@apiext.WebhookConversion:op",
    "apiext.CustomResourceDefinition": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@apiext.CustomResourceDefinitionSpec"
        " 3:status:@apiext.CustomResourceDefinitionStatus:o"
    ),
    "apiext.CustomResourceDefinitionCondition": (
        "1:type:string 2:status:string 3:lastTransitionTime:time:o 4:reason:string:o 5:message:string:o"
        " 6:observedGeneration:int64:o"
    ),
    "apiext.CustomResourceDefinitionNames": (
        "1:plural:string 2:singular:string:o 3:shortNames:[string]:o 4:kind:string 5:listKind:string:o"
        " 6:categories:[string]:o"
    ),
    "apiext.CustomResourceDefinitionSpec": (
        "1:group:string 3:names:@apiext.CustomResourceDefinitionNames 4:scope:string"
        " 7:versions:[@apiext.CustomResourceDefinitionVersion]"
        " 9:conversion:@apiext.CustomResourceConversion:op 10:preserveUnknownFields:bool:o"
    ),
    "apiext.CustomResourceDefinitionStatus": (
        "1:conditions:[@apiext.CustomResourceDefinitionCondition]"
        " 2:acceptedNames:@apiext.CustomResourceDefinitionNames 3:storedVersions:[string]"
        " 4:observedGeneration:int64:o"
    ),
    "apiext.CustomResourceDefinitionVersion": (
        "1:name:string 2:served:bool 3:storage:bool 7:deprecated:bool:o 8:deprecationWarning:string:op"
        " 4:schema:@apiext.CustomResourceValidation:op 5:subresources:@apiext.CustomResourceSubresources:op"
        " 6:additionalPrinterColumns:[@apiext.CustomResourceColumnDefinition]:o"
        " 9:selectableFields:[@apiext.SelectableField]:o"
    ),
    "apiext.CustomResourceSubresourceScale": (
        "1:specReplicasPath:string 2:statusReplicasPath:string 3:labelSelectorPath:string:op"
    ),
    "apiext.CustomResourceSubresourceStatus": "",
    "apiext.CustomResourceSubresources": (
        "1:status:@apiext.CustomResourceSubresourceStatus:op"
        " 2:scale:@apiext.CustomResourceSubresourceScale:op"
    ),
    "apiext.CustomResourceValidation": "1:openAPIV3Schema:@apiext.JSONSchemaProps:op",
    "apiext.ExternalDocumentation": "1:description:string:o 2:url:string:o",
    "apiext.JSONSchemaProps": (
        "1:id:string:o 2:$schema:string:o 3:$ref:string:op 4:description:string:o 5:type:string:o"
        " 6:format:string:o 7:title:string:o 8:default:json:op 9:maximum:double:op 10:exclusiveMaximum:bool:o"
        " 11:minimum:double:op 12:exclusiveMinimum:bool:o 13:maxLength:int64:op 14:minLength:int64:op"
        " 15:pattern:string:o 16:maxItems:int64:op 17:minItems:int64:op 18:uniqueItems:bool:o"
        " 19:multipleOf:double:op 20:enum:[json]:o 21:maxProperties:int64:op 22:minProperties:int64:op"
        " 23:required:[string]:o 24:items:@apiext.JSONSchemaPropsOrArray:op"
        " 25:allOf:[@apiext.JSONSchemaProps]:o 26:oneOf:[@apiext.JSONSchemaProps]:o"
        " 27:anyOf:[@apiext.JSONSchemaProps]:o 28:not:@apiext.JSONSchemaProps:op"
        " 29:properties:{@apiext.JSONSchemaProps}:o 30:additionalProperties:@apiext.JSONSchemaPropsOrBool:op"
        " 31:patternProperties:{@apiext.JSONSchemaProps}:o"
        " 32:dependencies:{@apiext.JSONSchemaPropsOrStringArray}:o"
        " 33:additionalItems:@apiext.JSONSchemaPropsOrBool:op 34:definitions:{@apiext.JSONSchemaProps}:o"
        " 35:externalDocs:@apiext.ExternalDocumentation:op 36:example:json:op 37:nullable:bool:o"
        " 38:x-kubernetes-preserve-unknown-fields:bool:op 39:x-kubernetes-embedded-resource:bool:o"
        " 40:x-kubernetes-int-or-string:bool:o 41:x-kubernetes-list-map-keys:[string]:o"
        " 42:x-kubernetes-list-type:string:op 43:x-kubernetes-map-type:string:op"
        " 44:x-kubernetes-validations:[@apiext.ValidationRule]:o"
    ),
    "apiext.JSONSchemaPropsOrArray": (
        "1:schema:@apiext.JSONSchemaProps:op 2:schemas:[@apiext.JSONSchemaProps]:o"
    ),
    "apiext.JSONSchemaPropsOrBool": "1:allows:bool 2:schema:@apiext.JSONSchemaProps:op",
    "apiext.JSONSchemaPropsOrStringArray": "1:schema:@apiext.JSONSchemaProps:op 2:property:[string]:o",
    "apiext.SelectableField": "1:jsonPath:string",
    "apiext.ServiceReference": "1:namespace:string 2:name:string 3:path:string:op 4:port:int32:op",
    "apiext.ValidationRule": (
        "1:rule:string 2:message:string:o 3:messageExpression:string:o 4:reason:string:op"
        " 5:fieldPath:string:o 6:optionalOldSelf:bool:op"
    ),
    "apiext.WebhookClientConfig": "3:url:string:op 1:service:@apiext.ServiceReference:op 2:caBundle:bytes:o",
    "apiext.WebhookConversion": (
        "2:clientConfig:@apiext.WebhookClientConfig:op 3:conversionReviewVersions:[string]"
    ),
    "apps.ControllerRevision": "1:metadata:@meta.ObjectMeta:o 2:data:rawext 3:revision:int64",
    "apps.DaemonSet": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@apps.DaemonSetSpec:o 3:status:@apps.DaemonSetStatus:o"
    ),
    "apps.DaemonSetCondition": (
        "1:type:string 2:status:string 3:lastTransitionTime:time:o 4:reason:string:o 5:message:string:o"
    ),
    "apps.DaemonSetSpec": (
        "1:selector:@meta.LabelSelector:p 2:template:@core.PodTemplateSpec"
        " 3:updateStrategy:@apps.DaemonSetUpdateStrategy:o 4:minReadySeconds:int32:o"
        " 6:revisionHistoryLimit:int32:op"
    ),
    "apps.DaemonSetStatus": (
        "1:currentNumberScheduled:int32 2:numberMisscheduled:int32 3:desiredNumberScheduled:int32"
        " 4:numberReady:int32 5:observedGeneration:int64:o 6:updatedNumberScheduled:int32:o"
        " 7:numberAvailable:int32:o 8:numberUnavailable:int32:o 9:collisionCount:int32:op"
        " 10:conditions:[@apps.DaemonSetCondition]:o"
    ),
    "apps.DaemonSetUpdateStrategy": "1:type:string:o 2:rollingUpdate:@apps.RollingUpdateDaemonSet:op",
    "apps.Deployment": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@apps.DeploymentSpec:o 3:status:@apps.DeploymentStatus:o"
    ),
    "apps.DeploymentCondition": (
        "1:type:string 2:status:string 6:lastUpdateTime:time:o 7:lastTransitionTime:time:o 4:reason:string:o"
        " 5:message:string:o"
    ),
    "apps.DeploymentSpec": (
        "1:replicas:int32:op 2:selector:@meta.LabelSelector:p 3:template:@core.PodTemplateSpec"
        " 4:strategy:@apps.DeploymentStrategy:o 5:minReadySeconds:int32:o 6:revisionHistoryLimit:int32:op"
        " 7:paused:bool:o 9:progressDeadlineSeconds:int32:op"
    ),
    "apps.DeploymentStatus": (
        "1:observedGeneration:int64:o 2:replicas:int32:o 3:updatedReplicas:int32:o 7:readyReplicas:int32:o"
        " 4:availableReplicas:int32:o 5:unavailableReplicas:int32:o 9:terminatingReplicas:int32:op"
        " 6:conditions:[@apps.DeploymentCondition]:o 8:collisionCount:int32:op"
    ),
    "apps.DeploymentStrategy": "1:type:string:o 2:rollingUpdate:@apps.RollingUpdateDeployment:op",
    "apps.ReplicaSet": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@apps.ReplicaSetSpec:o 3:status:@apps.ReplicaSetStatus:o"
    ),
    "apps.ReplicaSetCondition": (
        "1:type:string 2:status:string 3:lastTransitionTime:time:o 4:reason:string:o 5:message:string:o"
    ),
    "apps.ReplicaSetSpec": (
        "1:replicas:int32:op 4:minReadySeconds:int32:o 2:selector:@meta.LabelSelector:p"
        " 3:template:@core.PodTemplateSpec:o"
    ),
    "apps.ReplicaSetStatus": (
        "1:replicas:int32 2:fullyLabeledReplicas:int32:o 4:readyReplicas:int32:o 5:availableReplicas:int32:o"
        " 7:terminatingReplicas:int32:op 3:observedGeneration:int64:o"
        " 6:conditions:[@apps.ReplicaSetCondition]:o"
    ),
    "apps.RollingUpdateDaemonSet": "1:maxUnavailable:intorstr:op 2:maxSurge:intorstr:op",
    "apps.RollingUpdateDeployment": "1:maxUnavailable:intorstr:op 2:maxSurge:intorstr:op",
    "apps.RollingUpdateStatefulSetStrategy": "1:partition:int32:op 2:maxUnavailable:intorstr:op",
    "apps.StatefulSet": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@apps.StatefulSetSpec:o 3:status:@apps.StatefulSetStatus:o"
    ),
    "apps.StatefulSetCondition": (
        "1:type:string 2:status:string 3:lastTransitionTime:time:o 4:reason:string:o 5:message:string:o"
    ),
    "apps.StatefulSetOrdinals": "1:start:int32",
    "apps.StatefulSetPersistentVolumeClaimRetentionPolicy": "1:whenDeleted:string:o 2:whenScaled:string:o",
    "apps.StatefulSetSpec": (
        "1:replicas:int32:op 2:selector:@meta.LabelSelector:p 3:template:@core.PodTemplateSpec"
        " 4:volumeClaimTemplates:[@core.PersistentVolumeClaim]:o 5:serviceName:string"
        " 6:podManagementPolicy:string:o 7:updateStrategy:@apps.StatefulSetUpdateStrategy:o"
        " 8:revisionHistoryLimit:int32:op 9:minReadySeconds:int32:o"
        " 10:persistentVolumeClaimRetentionPolicy:@apps.StatefulSetPersistentVolumeClaimRetentionPolicy:op"
        " 11:ordinals:@apps.StatefulSetOrdinals:op"
    ),
    "apps.StatefulSetStatus": (
        "1:observedGeneration:int64:o 2:replicas:int32 3:readyReplicas:int32:o 4:currentReplicas:int32:o"
        " 5:updatedReplicas:int32:o 6:currentRevision:string:o 7:updateRevision:string:o"
        " 9:collisionCount:int32:op 10:conditions:[@apps.StatefulSetCondition]:o 11:availableReplicas:int32"
    ),
    "apps.StatefulSetUpdateStrategy": (
        "1:type:string:o 2:rollingUpdate:@apps.RollingUpdateStatefulSetStrategy:op"
    ),
    "authentication.AttestationValue": "1:items:[string]:o",
    "authentication.BoundObjectReference": (
        "1:kind:string:o 2:apiVersion:string:o 3:name:string:o 4:uid:string:o"
    ),
    "authentication.ExtraValue": "1:items:[string]:o",
    "authentication.SelfSubjectReview": (
        "1:metadata:@meta.ObjectMeta:o 2:status:@authentication.SelfSubjectReviewStatus:o"
    ),
    "authentication.SelfSubjectReviewStatus": "1:userInfo:@authentication.UserInfo:o",
    "authentication.TokenRequest": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@authentication.TokenRequestSpec"
        " 3:status:@authentication.TokenRequestStatus:o"
    ),
    "authentication.TokenRequestSpec": (
        "1:audiences:[string] 4:expirationSeconds:int64:p"
        " 3:boundObjectRef:@authentication.BoundObjectReference:p"
        " 5:attestations:{@authentication.AttestationValue}:o"
    ),
    "authentication.TokenRequestStatus": "1:token:string 2:expirationTimestamp:time",
    "authentication.TokenReview": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@authentication.TokenReviewSpec"
        " 3:status:@authentication.TokenReviewStatus:o"
    ),
    "authentication.TokenReviewSpec": "1:token:string:o 2:audiences:[string]:o",
    "authentication.TokenReviewStatus": (
        "1:authenticated:bool:o 2:user:@authentication.UserInfo:o 4:audiences:[string]:o 3:error:string:o"
    ),
    "authentication.UserInfo": (
        "1:username:string:o 2:uid:string:o 3:groups:[string]:o 4:extra:{@authentication.ExtraValue}:o"
    ),
    "authorization.ExtraValue": "1:items:[string]:o",
    "authorization.FieldSelectorAttributes": (
        "1:rawSelector:string:o 2:requirements:[@meta.FieldSelectorRequirement]:o"
    ),
    "authorization.LabelSelectorAttributes": (
        "1:rawSelector:string:o 2:requirements:[@meta.LabelSelectorRequirement]:o"
    ),
    "authorization.LocalSubjectAccessReview": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@authorization.SubjectAccessReviewSpec"
        " 3:status:@authorization.SubjectAccessReviewStatus:o"
    ),
    "authorization.NonResourceAttributes": "1:path:string:o 2:verb:string:o",
    "authorization.NonResourceRule": "1:verbs:[string] 2:nonResourceURLs:[string]:o",
    "authorization.ResourceAttributes": (
        "1:namespace:string:o 2:verb:string:o 3:group:string:o 4:version:string:o 5:resource:string:o"
        " 6:subresource:string:o 7:name:string:o 8:fieldSelector:@authorization.FieldSelectorAttributes:op"
        " 9:labelSelector:@authorization.LabelSelectorAttributes:op"
    ),
    "authorization.ResourceRule": (
        "1:verbs:[string] 2:apiGroups:[string]:o 3:resources:[string]:o 4:resourceNames:[string]:o"
    ),
    "authorization.SelfSubjectAccessReview": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@authorization.SelfSubjectAccessReviewSpec"
        " 3:status:@authorization.SubjectAccessReviewStatus:o"
    ),
    "authorization.SelfSubjectAccessReviewSpec": (
        "1:resourceAttributes:@authorization.ResourceAttributes:op"
        " 2:nonResourceAttributes:@authorization.NonResourceAttributes:op"
    ),
    "authorization.SelfSubjectRulesReview": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@authorization.SelfSubjectRulesReviewSpec"
        " 3:status:@authorization.SubjectRulesReviewStatus:o"
    ),
    "authorization.SelfSubjectRulesReviewSpec": "1:namespace:string:o",
    "authorization.SubjectAccessReview": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@authorization.SubjectAccessReviewSpec"
        " 3:status:@authorization.SubjectAccessReviewStatus:o"
    ),
    "authorization.SubjectAccessReviewSpec": (
        "1:resourceAttributes:@authorization.ResourceAttributes:op"
        " 2:nonResourceAttributes:@authorization.NonResourceAttributes:op 3:user:string:o 4:groups:[string]:o"
        " 5:extra:{@authorization.ExtraValue}:o 6:uid:string:o"
    ),
    "authorization.SubjectAccessReviewStatus": (
        "1:allowed:bool 4:denied:bool:o 2:reason:string:o 3:evaluationError:string:o"
    ),
    "authorization.SubjectRulesReviewStatus": (
        "1:resourceRules:[@authorization.ResourceRule] 2:nonResourceRules:[@authorization.NonResourceRule]"
        " 3:incomplete:bool 4:evaluationError:string:o"
    ),
    "autoscaling.CrossVersionObjectReference": "1:kind:string 2:name:string 3:apiVersion:string:o",
    "autoscaling.HorizontalPodAutoscaler": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@autoscaling.HorizontalPodAutoscalerSpec:o"
        " 3:status:@autoscaling.HorizontalPodAutoscalerStatus:o"
    ),
    "autoscaling.HorizontalPodAutoscalerSpec": (
        "1:scaleTargetRef:@autoscaling.CrossVersionObjectReference 2:minReplicas:int32:op 3:maxReplicas:int32"
        " 4:targetCPUUtilizationPercentage:int32:op"
    ),
    "autoscaling.HorizontalPodAutoscalerStatus": (
        "1:observedGeneration:int64:op 2:lastScaleTime:time:op 3:currentReplicas:int32"
        " 4:desiredReplicas:int32 5:currentCPUUtilizationPercentage:int32:op"
    ),
    "autoscaling.Scale": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@autoscaling.ScaleSpec:o 3:status:@autoscaling.ScaleStatus:o"
    ),
    "autoscaling.ScaleSpec": "1:replicas:int32:o",
    "autoscaling.ScaleStatus": "1:replicas:int32 2:selector:string:o",
    "autoscalingv2.ContainerResourceMetricSource": (
        "1:name:string 2:target:@autoscalingv2.MetricTarget 3:container:string"
    ),
    "autoscalingv2.ContainerResourceMetricStatus": (
        "1:name:string 2:current:@autoscalingv2.MetricValueStatus 3:container:string"
    ),
    "autoscalingv2.CrossVersionObjectReference": "1:kind:string 2:name:string 3:apiVersion:string:o",
    "autoscalingv2.ExternalMetricSource": (
        "1:metric:@autoscalingv2.MetricIdentifier 2:target:@autoscalingv2.MetricTarget"
    ),
    "autoscalingv2.ExternalMetricStatus": (
        "1:metric:@autoscalingv2.MetricIdentifier 2:current:@autoscalingv2.MetricValueStatus"
    ),
    "autoscalingv2.HPAScalingPolicy": "1:type:string 2:value:int32 3:periodSeconds:int32",
    "autoscalingv2.HPAScalingRules": (
        "3:stabilizationWindowSeconds:int32:op 1:selectPolicy:string:op"
        " 2:policies:[@autoscalingv2.HPAScalingPolicy]:o 4:tolerance:quantity:op"
    ),
    "autoscalingv2.HorizontalPodAutoscaler": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@autoscalingv2.HorizontalPodAutoscalerSpec:o"
        " 3:status:@autoscalingv2.HorizontalPodAutoscalerStatus:o"
    ),
    "autoscalingv2.HorizontalPodAutoscalerBehavior": (
        "1:scaleUp:@autoscalingv2.HPAScalingRules:op 2:scaleDown:@autoscalingv2.HPAScalingRules:op"
    ),
    "autoscalingv2.HorizontalPodAutoscalerCondition": (
        "1:type:string 2:status:string 3:lastTransitionTime:time:o 4:reason:string:o 5:message:string:o"
        " 6:observedGeneration:int64:op"
    ),
    "autoscalingv2.HorizontalPodAutoscalerSpec": (
        "1:scaleTargetRef:@autoscalingv2.CrossVersionObjectReference 2:minReplicas:int32:op"
        " 3:maxReplicas:int32 4:metrics:[@autoscalingv2.MetricSpec]:o"
        " 5:behavior:@autoscalingv2.HorizontalPodAutoscalerBehavior:op"
    ),
    "autoscalingv2.HorizontalPodAutoscalerStatus": (
        "1:observedGeneration:int64:op 2:lastScaleTime:time:op 3:currentReplicas:int32:o"
        " 4:desiredReplicas:int32 5:currentMetrics:[@autoscalingv2.MetricStatus]"
        " 6:conditions:[@autoscalingv2.HorizontalPodAutoscalerCondition]:o"
    ),
    "autoscalingv2.MetricIdentifier": "1:name:string 2:selector:@meta.LabelSelector:op",
    "autoscalingv2.MetricSpec": (
        "1:type:string 2:object:@autoscalingv2.ObjectMetricSource:op"
        " 3:pods:@autoscalingv2.PodsMetricSource:op 4:resource:@autoscalingv2.ResourceMetricSource:op"
        " 7:containerResource:@autoscalingv2.ContainerResourceMetricSource:op"
        " 5:external:@autoscalingv2.ExternalMetricSource:op"
    ),
    "autoscalingv2.MetricStatus": (
        "1:type:string 2:object:@autoscalingv2.ObjectMetricStatus:op"
        " 3:pods:@autoscalingv2.PodsMetricStatus:op 4:resource:@autoscalingv2.ResourceMetricStatus:op"
        " 7:containerResource:@autoscalingv2.ContainerResourceMetricStatus:op"
        " 5:external:@autoscalingv2.ExternalMetricStatus:op"
    ),
    "autoscalingv2.MetricTarget": (
        "1:type:string 2:value:quantity:op 3:averageValue:quantity:op 4:averageUtilization:int32:op"
    ),
    "autoscalingv2.MetricValueStatus": (
        "1:value:quantity:op 2:averageValue:quantity:op 3:averageUtilization:int32:op"
    ),
    "autoscalingv2.ObjectMetricSource": (
        "1:describedObject:@autoscalingv2.CrossVersionObjectReference 2:target:@autoscalingv2.MetricTarget"
        " 3:metric:@autoscalingv2.MetricIdentifier"
    ),
    "autoscalingv2.ObjectMetricStatus": (
        "1:metric:@autoscalingv2.MetricIdentifier 2:current:@autoscalingv2.MetricValueStatus"
        " 3:describedObject:@autoscalingv2.CrossVersionObjectReference"
    ),
    "autoscalingv2.PodsMetricSource": (
        "1:metric:@autoscalingv2.MetricIdentifier 2:target:@autoscalingv2.MetricTarget"
    ),
    "autoscalingv2.PodsMetricStatus": (
        "1:metric:@autoscalingv2.MetricIdentifier 2:current:@autoscalingv2.MetricValueStatus"
    ),
    "autoscalingv2.ResourceMetricSource": "1:name:string 2:target:@autoscalingv2.MetricTarget",
    "autoscalingv2.ResourceMetricStatus": "1:name:string 2:current:@autoscalingv2.MetricValueStatus",
    "batch.CronJob": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@batch.CronJobSpec:o 3:status:@batch.CronJobStatus:o"
    ),
    "batch.CronJobSpec": (
        "1:schedule:string 8:timeZone:string:op 2:startingDeadlineSeconds:int64:op"
        " 3:concurrencyPolicy:string:o 4:suspend:bool:op 5:jobTemplate:@batch.JobTemplateSpec"
        " 6:successfulJobsHistoryLimit:int32:op 7:failedJobsHistoryLimit:int32:op"
    ),
    "batch.CronJobStatus": (
        "1:active:[@core.ObjectReference]:o 4:lastScheduleTime:time:op 5:lastSuccessfulTime:time:op"
    ),
    "batch.Job": "1:metadata:@meta.ObjectMeta:o 2:spec:@batch.JobSpec:o 3:status:@batch.JobStatus:o",
    "batch.JobCondition": (
        "1:type:string 2:status:string 3:lastProbeTime:time:o 4:lastTransitionTime:time:o 5:reason:string:o"
        " 6:message:string:o"
    ),
    "batch.JobSchedulingConfiguration": (
        "1:schedulingPolicy:@schedulingv1alpha3.WorkloadPodGroupSchedulingPolicy:op"
        " 2:schedulingConstraints:@schedulingv1alpha3.WorkloadPodGroupSchedulingConstraints:op"
        " 3:disruptionMode:@schedulingv1alpha3.WorkloadPodGroupDisruptionMode:op"
        " 4:resourceClaims:[@schedulingv1alpha3.WorkloadPodGroupResourceClaim]:o"
    ),
    "batch.JobSpec": (
        "1:parallelism:int32:op 2:completions:int32:op 3:activeDeadlineSeconds:int64:op"
        " 11:podFailurePolicy:@batch.PodFailurePolicy:op 16:successPolicy:@batch.SuccessPolicy:op"
        " 7:backoffLimit:int32:op 12:backoffLimitPerIndex:int32:op 13:maxFailedIndexes:int32:op"
        " 4:selector:@meta.LabelSelector:op 5:manualSelector:bool:op 6:template:@core.PodTemplateSpec"
        " 8:ttlSecondsAfterFinished:int32:op 9:completionMode:string:op 10:suspend:bool:op"
        " 14:podReplacementPolicy:string:op 15:managedBy:string:op"
        " 17:scheduling:@batch.JobSchedulingConfiguration:op"
    ),
    "batch.JobStatus": (
        "1:conditions:[@batch.JobCondition]:o 2:startTime:time:op 3:completionTime:time:op 4:active:int32:o"
        " 5:succeeded:int32:o 6:failed:int32:o 11:terminating:int32:op 7:completedIndexes:string:o"
        " 10:failedIndexes:string:op 8:uncountedTerminatedPods:@batch.UncountedTerminatedPods:op"
        " 9:ready:int32:op"
    ),
    "batch.JobTemplateSpec": "1:metadata:@meta.ObjectMeta:o 2:spec:@batch.JobSpec:o",
    "batch.PodFailurePolicy": "1:rules:[@batch.PodFailurePolicyRule]",
    "batch.PodFailurePolicyOnExitCodesRequirement": (
        "1:containerName:string:op 2:operator:string 3:values:[int32]"
    ),
    "batch.PodFailurePolicyOnPodConditionsPattern": "1:type:string 2:status:string",
    "batch.PodFailurePolicyRule": (
        "1:action:string 2:onExitCodes:@batch.PodFailurePolicyOnExitCodesRequirement:op"
        " 3:onPodConditions:[@batch.PodFailurePolicyOnPodConditionsPattern]:o"
    ),
    "batch.SuccessPolicy": "1:rules:[@batch.SuccessPolicyRule]",
    "batch.SuccessPolicyRule": "1:succeededIndexes:string:op 2:succeededCount:int32:op",
    "batch.UncountedTerminatedPods": "1:succeeded:[string]:o 2:failed:[string]:o",
    "certificates.CertificateSigningRequest": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@certificates.CertificateSigningRequestSpec"
        " 3:status:@certificates.CertificateSigningRequestStatus:o"
    ),
    "certificates.CertificateSigningRequestCondition": (
        "1:type:string 6:status:string 2:reason:string:o 3:message:string:o 4:lastUpdateTime:time:o"
        " 5:lastTransitionTime:time:o"
    ),
    "certificates.CertificateSigningRequestSpec": (
        "1:request:bytes 7:signerName:string 8:expirationSeconds:int32:op 5:usages:[string]:o"
        " 2:username:string:o 3:uid:string:o 4:groups:[string]:o 6:extra:{@certificates.ExtraValue}:o"
    ),
    "certificates.CertificateSigningRequestStatus": (
        "1:conditions:[@certificates.CertificateSigningRequestCondition]:o 2:certificate:bytes:o"
    ),
    "certificates.ClusterTrustBundle": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@certificates.ClusterTrustBundleSpec"
    ),
    "certificates.ClusterTrustBundleSpec": "1:signerName:string:o 2:trustBundle:string",
    "certificates.ExtraValue": "1:items:[string]:o",
    "certificates.PodCertificateRequest": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@certificates.PodCertificateRequestSpec"
        " 3:status:@certificates.PodCertificateRequestStatus:o"
    ),
    "certificates.PodCertificateRequestSpec": (
        "1:signerName:string 2:podName:string 3:podUID:string 4:serviceAccountName:string"
        " 5:serviceAccountUID:string 6:nodeName:string 7:nodeUID:string 8:maxExpirationSeconds:int32:op"
        " 12:stubPKCS10Request:bytes 11:unverifiedUserAnnotations:{string}:o"
    ),
    "certificates.PodCertificateRequestStatus": (
        "1:conditions:[@meta.Condition]:o 2:certificateChain:string:o 4:notBefore:time:op"
        " 5:beginRefreshAt:time:op 6:notAfter:time:op"
    ),
    "coordination.Lease": "1:metadata:@meta.ObjectMeta:o 2:spec:@coordination.LeaseSpec:o",
    "coordination.LeaseSpec": (
        "1:holderIdentity:string:op 2:leaseDurationSeconds:int32:op 3:acquireTime:microtime:op"
        " 4:renewTime:microtime:op 5:leaseTransitions:int32:op 6:strategy:string:op"
        " 7:preferredHolder:string:op"
    ),
    "core.AWSElasticBlockStoreVolumeSource": (
        "1:volumeID:string 2:fsType:string:o 3:partition:int32:o 4:readOnly:bool:o"
    ),
    "core.Affinity": (
        "1:nodeAffinity:@core.NodeAffinity:op 2:podAffinity:@core.PodAffinity:op"
        " 3:podAntiAffinity:@core.PodAntiAffinity:op"
    ),
    "core.AppArmorProfile": "1:type:string 2:localhostProfile:string:op",
    "core.AttachedVolume": "1:name:string 2:devicePath:string",
    "core.AzureDiskVolumeSource": (
        "1:diskName:string 2:diskURI:string 3:cachingMode:string:op 4:fsType:string:op 5:readOnly:bool:op"
        " 6:kind:string:op"
    ),
    "core.AzureFilePersistentVolumeSource": (
        "1:secretName:string 2:shareName:string 3:readOnly:bool:o 4:secretNamespace:string:p"
    ),
    "core.AzureFileVolumeSource": "1:secretName:string 2:shareName:string 3:readOnly:bool:o",
    "core.Binding": "1:metadata:@meta.ObjectMeta:o 2:target:@core.ObjectReference",
    "core.CSIPersistentVolumeSource": (
        "1:driver:string 2:volumeHandle:string 3:readOnly:bool:o 4:fsType:string:o"
        " 5:volumeAttributes:{string}:o 6:controllerPublishSecretRef:@core.SecretReference:op"
        " 7:nodeStageSecretRef:@core.SecretReference:op 8:nodePublishSecretRef:@core.SecretReference:op"
        " 9:controllerExpandSecretRef:@core.SecretReference:op"
        " 10:nodeExpandSecretRef:@core.SecretReference:op"
    ),
    "core.CSIVolumeSource": (
        "1:driver:string 2:readOnly:bool:op 3:fsType:string:op 4:volumeAttributes:{string}:o"
        " 5:nodePublishSecretRef:@core.LocalObjectReference:op"
    ),
    "core.Capabilities": "1:add:[string]:o 2:drop:[string]:o",
    "core.CephFSPersistentVolumeSource": (
        "1:monitors:[string] 2:path:string:o 3:user:string:o 4:secretFile:string:o"
        " 5:secretRef:@core.SecretReference:op 6:readOnly:bool:o"
    ),
    "core.CephFSVolumeSource": (
        "1:monitors:[string] 2:path:string:o 3:user:string:o 4:secretFile:string:o"
        " 5:secretRef:@core.LocalObjectReference:op 6:readOnly:bool:o"
    ),
    "core.CinderPersistentVolumeSource": (
        "1:volumeID:string 2:fsType:string:o 3:readOnly:bool:o 4:secretRef:@core.SecretReference:op"
    ),
    "core.CinderVolumeSource": (
        "1:volumeID:string 2:fsType:string:o 3:readOnly:bool:o 4:secretRef:@core.LocalObjectReference:op"
    ),
    "core.ClientIPConfig": "1:timeoutSeconds:int32:op",
    "core.ClusterTrustBundleProjection": (
        "1:name:string:op 2:signerName:string:op 3:labelSelector:@meta.LabelSelector:op 5:optional:bool:op"
        " 4:path:string 6:user:int64:op"
    ),
    "core.ComponentCondition": "1:type:string 2:status:string 3:message:string:o 4:error:string:o",
    "core.ComponentStatus": "1:metadata:@meta.ObjectMeta:o 2:conditions:[@core.ComponentCondition]:o",
    "core.ConfigMap": (
        "1:metadata:@meta.ObjectMeta:o 4:immutable:bool:op 2:data:{string}:o 3:binaryData:{bytes}:o"
    ),
    "core.ConfigMapEnvSource": "1::@core.LocalObjectReference:i 2:optional:bool:op",
    "core.ConfigMapKeySelector": "1::@core.LocalObjectReference:i 2:key:string 3:optional:bool:op",
    "core.ConfigMapNodeConfigSource": (
        "1:namespace:string 2:name:string 3:uid:string:o 4:resourceVersion:string:o 5:kubeletConfigKey:string"
    ),
    "core.ConfigMapProjection": (
        "1::@core.LocalObjectReference:i 2:items:[@core.KeyToPath]:o 4:optional:bool:op"
    ),
    "core.ConfigMapVolumeSource": (
        "1::@core.LocalObjectReference:i 2:items:[@core.KeyToPath]:o 3:defaultMode:int32:op"
        " 4:optional:bool:op 5:defaultUser:int64:op"
    ),
    "core.Container": (
        "1:name:string 2:image:string:o 3:command:[string]:o 4:args:[string]:o 5:workingDir:string:o"
        " 6:ports:[@core.ContainerPort]:o 19:envFrom:[@core.EnvFromSource]:o 7:env:[@core.EnvVar]:o"
        " 8:resources:@core.ResourceRequirements:o 23:resizePolicy:[@core.ContainerResizePolicy]:o"
        " 24:restartPolicy:string:op 25:restartPolicyRules:[@core.ContainerRestartRule]:o"
        " 9:volumeMounts:[@core.VolumeMount]:o 21:volumeDevices:[@core.VolumeDevice]:o"
        " 10:livenessProbe:@core.Probe:op 11:readinessProbe:@core.Probe:op 22:startupProbe:@core.Probe:op"
        " 12:lifecycle:@core.Lifecycle:op 13:terminationMessagePath:string:o"
        " 20:terminationMessagePolicy:string:o 14:imagePullPolicy:string:o"
        " 15:securityContext:@core.SecurityContext:op 16:stdin:bool:o 17:stdinOnce:bool:o 18:tty:bool:o"
    ),
    "core.ContainerExtendedResourceRequest": (
        "1:containerName:string 2:resourceName:string 3:requestName:string"
    ),
    "core.ContainerImage": "1:names:[string] 2:sizeBytes:int64:o",
    "core.ContainerPort": (
        "1:name:string:o 2:hostPort:int32:o 3:containerPort:int32 4:protocol:string:o 5:hostIP:string:o"
    ),
    "core.ContainerResizePolicy": "1:resourceName:string 2:restartPolicy:string",
    "core.ContainerRestartRule": "1:action:string:o 2:exitCodes:@core.ContainerRestartRuleOnExitCodes:op",
    "core.ContainerRestartRuleOnExitCodes": "1:operator:string:o 2:values:[int32]:o",
    "core.ContainerState": (
        "1:waiting:@core.ContainerStateWaiting:op 2:running:@core.ContainerStateRunning:op"
        " 3:terminated:@core.ContainerStateTerminated:op"
    ),
    "core.ContainerStateRunning": "1:startedAt:time:o",
    "core.ContainerStateTerminated": (
        "1:exitCode:int32 2:signal:int32:o 3:reason:string:o 4:message:string:o 5:startedAt:time:o"
        " 6:finishedAt:time:o 7:containerID:string:o"
    ),
    "core.ContainerStateWaiting": "1:reason:string:o 2:message:string:o",
    "core.ContainerStatus": (
        "1:name:string 2:state:@core.ContainerState:o 3:lastState:@core.ContainerState:o 4:ready:bool"
        " 5:restartCount:int32 6:image:string 7:imageID:string 8:containerID:string:o 9:started:bool:op"
        " 10:allocatedResources:{quantity}:o 11:resources:@core.ResourceRequirements:op"
        " 12:volumeMounts:[@core.VolumeMountStatus]:o 13:user:@core.ContainerUser:op"
        " 14:allocatedResourcesStatus:[@core.ResourceStatus]:o 15:stopSignal:string:op"
    ),
    "core.ContainerUser": "1:linux:@core.LinuxContainerUser:op",
    "core.DaemonEndpoint": "1:Port:int32",
    "core.DownwardAPIProjection": "1:items:[@core.DownwardAPIVolumeFile]:o",
    "core.DownwardAPIVolumeFile": (
        "1:path:string 2:fieldRef:@core.ObjectFieldSelector:op"
        " 3:resourceFieldRef:@core.ResourceFieldSelector:op 4:mode:int32:op 5:user:int64:op"
    ),
    "core.DownwardAPIVolumeSource": (
        "1:items:[@core.DownwardAPIVolumeFile]:o 2:defaultMode:int32:op 3:defaultUser:int64:op"
    ),
    "core.EmptyDirVolumeSource": "1:medium:string:o 2:sizeLimit:quantity:op 3:mode:int32:op",
    "core.EndpointAddress": (
        "1:ip:string 3:hostname:string:o 4:nodeName:string:op 2:targetRef:@core.ObjectReference:op"
    ),
    "core.EndpointPort": "1:name:string:o 2:port:int32 3:protocol:string:o 4:appProtocol:string:op",
    "core.EndpointSubset": (
        "1:addresses:[@core.EndpointAddress]:o 2:notReadyAddresses:[@core.EndpointAddress]:o"
        " 3:ports:[@core.EndpointPort]:o"
    ),
    "core.Endpoints": "1:metadata:@meta.ObjectMeta:o 2:subsets:[@core.EndpointSubset]:o",
    "core.EnvFromSource": (
        "1:prefix:string:o 2:configMapRef:@core.ConfigMapEnvSource:op 3:secretRef:@core.SecretEnvSource:op"
    ),
    "core.EnvVar": "1:name:string 2:value:string:o 3:valueFrom:@core.EnvVarSource:op",
    "core.EnvVarSource": (
        "1:fieldRef:@core.ObjectFieldSelector:op 2:resourceFieldRef:@core.ResourceFieldSelector:op"
        " 3:configMapKeyRef:@core.ConfigMapKeySelector:op 4:secretKeyRef:@core.SecretKeySelector:op"
        " 5:fileKeyRef:@core.FileKeySelector:op"
    ),
    "core.EphemeralContainer": "1::@core.EphemeralContainerCommon:i 2:targetContainerName:string:o",
    "core.EphemeralContainerCommon": (
        "1:name:string 2:image:string:o 3:command:[string]:o 4:args:[string]:o 5:workingDir:string:o"
        " 6:ports:[@core.ContainerPort]:o 19:envFrom:[@core.EnvFromSource]:o 7:env:[@core.EnvVar]:o"
        " 8:resources:@core.ResourceRequirements:o 23:resizePolicy:[@core.ContainerResizePolicy]:o"
        " 24:restartPolicy:string:op 25:restartPolicyRules:[@core.ContainerRestartRule]:o"
        " 9:volumeMounts:[@core.VolumeMount]:o 21:volumeDevices:[@core.VolumeDevice]:o"
        " 10:livenessProbe:@core.Probe:op 11:readinessProbe:@core.Probe:op 22:startupProbe:@core.Probe:op"
        " 12:lifecycle:@core.Lifecycle:op 13:terminationMessagePath:string:o"
        " 20:terminationMessagePolicy:string:o 14:imagePullPolicy:string:o"
        " 15:securityContext:@core.SecurityContext:op 16:stdin:bool:o 17:stdinOnce:bool:o 18:tty:bool:o"
    ),
    "core.EphemeralVolumeSource": "1:volumeClaimTemplate:@core.PersistentVolumeClaimTemplate:op",
    "core.Event": (
        "1:metadata:@meta.ObjectMeta 2:involvedObject:@core.ObjectReference 3:reason:string:o"
        " 4:message:string:o 5:source:@core.EventSource:o 6:firstTimestamp:time:o 7:lastTimestamp:time:o"
        " 8:count:int32:o 9:type:string:o 10:eventTime:microtime:o 11:series:@core.EventSeries:op"
        " 12:action:string:o 13:related:@core.ObjectReference:op 14:reportingComponent:string"
        " 15:reportingInstance:string"
    ),
    "core.EventSeries": "1:count:int32:o 2:lastObservedTime:microtime:o",
    "core.EventSource": "1:component:string:o 2:host:string:o",
    "core.EvictionResponder": "1:name:string 2:priority:int32:p",
    "core.ExecAction": "1:command:[string]:o",
    "core.FCVolumeSource": (
        "1:targetWWNs:[string]:o 2:lun:int32:op 3:fsType:string:o 4:readOnly:bool:o 5:wwids:[string]:o"
    ),
    "core.FileKeySelector": "1:volumeName:string 2:path:string 3:key:string 4:optional:bool:op",
    "core.FlexPersistentVolumeSource": (
        "1:driver:string 2:fsType:string:o 3:secretRef:@core.SecretReference:op 4:readOnly:bool:o"
        " 5:options:{string}:o"
    ),
    "core.FlexVolumeSource": (
        "1:driver:string 2:fsType:string:o 3:secretRef:@core.LocalObjectReference:op 4:readOnly:bool:o"
        " 5:options:{string}:o"
    ),
    "core.FlockerVolumeSource": "1:datasetName:string:o 2:datasetUUID:string:o",
    "core.GCEPersistentDiskVolumeSource": (
        "1:pdName:string 2:fsType:string:o 3:partition:int32:o 4:readOnly:bool:o"
    ),
    "core.GRPCAction": "1:port:int32 2:service:string:p 3:mode:string:op",
    "core.GitRepoVolumeSource": "1:repository:string 2:revision:string:o 3:directory:string:o",
    "core.GlusterfsPersistentVolumeSource": (
        "1:endpoints:string 2:path:string 3:readOnly:bool:o 4:endpointsNamespace:string:op"
    ),
    "core.GlusterfsVolumeSource": "1:endpoints:string 2:path:string 3:readOnly:bool:o",
    "core.HTTPGetAction": (
        "1:path:string:o 2:port:intorstr 3:host:string:o 4:scheme:string:o 5:httpHeaders:[@core.HTTPHeader]:o"
        " 6:protocol:string:op"
    ),
    "core.HTTPHeader": "1:name:string 2:value:string",
    "core.HostAlias": "1:ip:string 2:hostnames:[string]:o",
    "core.HostIP": "1:ip:string",
    "core.HostPathVolumeSource": "1:path:string 2:type:string:op",
    "core.ISCSIPersistentVolumeSource": (
        "1:targetPortal:string 2:iqn:string 3:lun:int32 4:iscsiInterface:string:o 5:fsType:string:o"
        " 6:readOnly:bool:o 7:portals:[string]:o 8:chapAuthDiscovery:bool:o 11:chapAuthSession:bool:o"
        " 10:secretRef:@core.SecretReference:op 12:initiatorName:string:op"
    ),
    "core.ISCSIVolumeSource": (
        "1:targetPortal:string 2:iqn:string 3:lun:int32 4:iscsiInterface:string:o 5:fsType:string:o"
        " 6:readOnly:bool:o 7:portals:[string]:o 8:chapAuthDiscovery:bool:o 11:chapAuthSession:bool:o"
        " 10:secretRef:@core.LocalObjectReference:op 12:initiatorName:string:op"
    ),
    "core.ImageVolumeSource": "1:reference:string:o 2:pullPolicy:string:o",
    "core.ImageVolumeStatus": "1:imageRef:string:o",
    "core.KeyToPath": "1:key:string 2:path:string 3:mode:int32:op 4:user:int64:op",
    "core.Lifecycle": (
        "1:postStart:@core.LifecycleHandler:op 2:preStop:@core.LifecycleHandler:op 3:stopSignal:string:op"
    ),
    "core.LifecycleHandler": (
        "1:exec:@core.ExecAction:op 2:httpGet:@core.HTTPGetAction:op 3:tcpSocket:@core.TCPSocketAction:op"
        " 4:sleep:@core.SleepAction:op"
    ),
    "core.LimitRange": "1:metadata:@meta.ObjectMeta:o 2:spec:@core.LimitRangeSpec:o",
    "core.LimitRangeItem": (
        "1:type:string 2:max:{quantity}:o 3:min:{quantity}:o 4:default:{quantity}:o"
        " 5:defaultRequest:{quantity}:o 6:maxLimitRequestRatio:{quantity}:o"
    ),
    "core.LimitRangeSpec": "1:limits:[@core.LimitRangeItem]",
    "core.LinuxContainerUser": "1:uid:int64 2:gid:int64 3:supplementalGroups:[int64]:o",
    "core.LoadBalancerIngress": (
        "1:ip:string:o 2:hostname:string:o 3:ipMode:string:op 4:ports:[@core.PortStatus]:o"
    ),
    "core.LoadBalancerStatus": "1:ingress:[@core.LoadBalancerIngress]:o",
    "core.LocalObjectReference": "1:name:string:o",
    "core.LocalVolumeSource": "1:path:string 2:fsType:string:op",
    "core.ModifyVolumeStatus": "1:targetVolumeAttributesClassName:string:o 2:status:string",
    "core.NFSVolumeSource": "1:server:string 2:path:string 3:readOnly:bool:o",
    "core.Namespace": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@core.NamespaceSpec:o 3:status:@core.NamespaceStatus:o"
    ),
    "core.NamespaceCondition": (
        "1:type:string 2:status:string 4:lastTransitionTime:time:o 5:reason:string:o 6:message:string:o"
    ),
    "core.NamespaceSpec": "1:finalizers:[string]:o",
    "core.NamespaceStatus": "1:phase:string:o 2:conditions:[@core.NamespaceCondition]:o",
    "core.Node": "1:metadata:@meta.ObjectMeta:o 2:spec:@core.NodeSpec:o 3:status:@core.NodeStatus:o",
    "core.NodeAddress": "1:type:string 2:address:string",
    "core.NodeAffinity": (
        "1:requiredDuringSchedulingIgnoredDuringExecution:@core.NodeSelector:op"
        " 2:preferredDuringSchedulingIgnoredDuringExecution:[@core.PreferredSchedulingTerm]:o"
    ),
    "core.NodeAllocatableMappedResources": "1:name:string 2:quantity:quantity:p",
    "core.NodeAllocatableOverheadResources": "1:name:string 2:perPod:quantity:op 3:perContainer:quantity:op",
    "core.NodeAllocatableResourceClaimStatus": (
        "1:resourceClaimName:string 2:containers:[string]:o"
        " 4:mapping:[@core.NodeAllocatableMappedResources]:o"
        " 5:overhead:[@core.NodeAllocatableOverheadResources]:o"
    ),
    "core.NodeCondition": (
        "1:type:string 2:status:string 3:lastHeartbeatTime:time:o 4:lastTransitionTime:time:o"
        " 5:reason:string:o 6:message:string:o"
    ),
    "core.NodeConfigSource": "2:configMap:@core.ConfigMapNodeConfigSource:op",
    "core.NodeConfigStatus": (
        "1:assigned:@core.NodeConfigSource:op 2:active:@core.NodeConfigSource:op"
        " 3:lastKnownGood:@core.NodeConfigSource:op 4:error:string:o"
    ),
    "core.NodeDaemonEndpoints": "1:kubeletEndpoint:@core.DaemonEndpoint:o",
    "core.NodeFeatures": "1:supplementalGroupsPolicy:bool:op",
    "core.NodePodPreemptionPolicy": "1:disableResizePreemption:[string]:o",
    "core.NodeRuntimeHandler": "1:name:string 2:features:@core.NodeRuntimeHandlerFeatures:op",
    "core.NodeRuntimeHandlerFeatures": "1:recursiveReadOnlyMounts:bool:op 2:userNamespaces:bool:op",
    "core.NodeSelector": "1:nodeSelectorTerms:[@core.NodeSelectorTerm]",
    "core.NodeSelectorRequirement": "1:key:string 2:operator:string 3:values:[string]:o",
    "core.NodeSelectorTerm": (
        "1:matchExpressions:[@core.NodeSelectorRequirement]:o 2:matchFields:[@core.NodeSelectorRequirement]:o"
    ),
    "core.NodeSpec": (
        "1:podCIDR:string:o 7:podCIDRs:[string]:o 3:providerID:string:o 4:unschedulable:bool:o"
        " 5:taints:[@core.Taint]:o 6:configSource:@core.NodeConfigSource:op 2:externalID:string:o"
        " 8:podPreemptionPolicy:@core.NodePodPreemptionPolicy:op"
    ),
    "core.NodeStatus": (
        "1:capacity:{quantity}:o 2:allocatable:{quantity}:o 3:phase:string:o"
        " 4:conditions:[@core.NodeCondition]:o 5:addresses:[@core.NodeAddress]:o"
        " 6:daemonEndpoints:@core.NodeDaemonEndpoints:o 7:nodeInfo:@core.NodeSystemInfo:o"
        " 8:images:[@core.ContainerImage]:o 9:volumesInUse:[string]:o"
        " 10:volumesAttached:[@core.AttachedVolume]:o 11:config:@core.NodeConfigStatus:op"
        " 12:runtimeHandlers:[@core.NodeRuntimeHandler]:o 13:features:@core.NodeFeatures:op"
        " 14:declaredFeatures:[string]:o"
    ),
    "core.NodeSwapStatus": "1:capacity:int64:op",
    "core.NodeSystemInfo": (
        "1:machineID:string 2:systemUUID:string 3:bootID:string 4:kernelVersion:string 5:osImage:string"
        " 6:containerRuntimeVersion:string 7:kubeletVersion:string 8:kubeProxyVersion:string"
        " 9:operatingSystem:string 10:architecture:string 11:swap:@core.NodeSwapStatus:op"
    ),
    "core.ObjectFieldSelector": "1:apiVersion:string:o 2:fieldPath:string",
    "core.ObjectReference": (
        "1:kind:string:o 2:namespace:string:o 3:name:string:o 4:uid:string:o 5:apiVersion:string:o"
        " 6:resourceVersion:string:o 7:fieldPath:string:o"
    ),
    "core.PersistentVolume": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@core.PersistentVolumeSpec:o"
        " 3:status:@core.PersistentVolumeStatus:o"
    ),
    "core.PersistentVolumeClaim": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@core.PersistentVolumeClaimSpec:o"
        " 3:status:@core.PersistentVolumeClaimStatus:o"
    ),
    "core.PersistentVolumeClaimCondition": (
        "1:type:string 2:status:string 3:lastProbeTime:time:o 4:lastTransitionTime:time:o 5:reason:string:o"
        " 6:message:string:o"
    ),
    "core.PersistentVolumeClaimSpec": (
        "1:accessModes:[string]:o 4:selector:@meta.LabelSelector:op"
        " 2:resources:@core.VolumeResourceRequirements:o 3:volumeName:string:o 5:storageClassName:string:op"
        " 6:volumeMode:string:op 7:dataSource:@core.TypedLocalObjectReference:op"
        " 8:dataSourceRef:@core.TypedObjectReference:op 9:volumeAttributesClassName:string:op"
    ),
    "core.PersistentVolumeClaimStatus": (
        "1:phase:string:o 2:accessModes:[string]:o 3:capacity:{quantity}:o"
        " 4:conditions:[@core.PersistentVolumeClaimCondition]:o 5:allocatedResources:{quantity}:o"
        " 7:allocatedResourceStatuses:{string}:o 8:currentVolumeAttributesClassName:string:op"
        " 9:modifyVolumeStatus:@core.ModifyVolumeStatus:op 10:healthStatus:@core.VolumeHealthStatus:op"
    ),
    "core.PersistentVolumeClaimTemplate": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@core.PersistentVolumeClaimSpec"
    ),
    "core.PersistentVolumeClaimVolumeSource": "1:claimName:string 2:readOnly:bool:o",
    "core.PersistentVolumeSource": (
        "1:gcePersistentDisk:@core.GCEPersistentDiskVolumeSource:op"
        " 2:awsElasticBlockStore:@core.AWSElasticBlockStoreVolumeSource:op"
        " 3:hostPath:@core.HostPathVolumeSource:op 4:glusterfs:@core.GlusterfsPersistentVolumeSource:op"
        " 5:nfs:@core.NFSVolumeSource:op 6:rbd:@core.RBDPersistentVolumeSource:op"
        " 7:iscsi:@core.ISCSIPersistentVolumeSource:op 8:cinder:@core.CinderPersistentVolumeSource:op"
        " 9:cephfs:@core.CephFSPersistentVolumeSource:op 10:fc:@core.FCVolumeSource:op"
        " 11:flocker:@core.FlockerVolumeSource:op 12:flexVolume:@core.FlexPersistentVolumeSource:op"
        " 13:azureFile:@core.AzureFilePersistentVolumeSource:op"
        " 14:vsphereVolume:@core.VsphereVirtualDiskVolumeSource:op 15:quobyte:@core.QuobyteVolumeSource:op"
        " 16:azureDisk:@core.AzureDiskVolumeSource:op"
        " 17:photonPersistentDisk:@core.PhotonPersistentDiskVolumeSource:op"
        " 18:portworxVolume:@core.PortworxVolumeSource:op 19:scaleIO:@core.ScaleIOPersistentVolumeSource:op"
        " 20:local:@core.LocalVolumeSource:op 21:storageos:@core.StorageOSPersistentVolumeSource:op"
        " 22:csi:@core.CSIPersistentVolumeSource:op"
    ),
    "core.PersistentVolumeSpec": (
        "1:capacity:{quantity}:o 2::@core.PersistentVolumeSource:i 3:accessModes:[string]:o"
        " 4:claimRef:@core.ObjectReference:op 5:persistentVolumeReclaimPolicy:string:o"
        " 6:storageClassName:string:o 7:mountOptions:[string]:o 8:volumeMode:string:op"
        " 9:nodeAffinity:@core.VolumeNodeAffinity:op 10:volumeAttributesClassName:string:op"
    ),
    "core.PersistentVolumeStatus": (
        "1:phase:string:o 2:message:string:o 3:reason:string:o 4:lastPhaseTransitionTime:time:op"
    ),
    "core.PhotonPersistentDiskVolumeSource": "1:pdID:string 2:fsType:string:o",
    "core.Pod": "1:metadata:@meta.ObjectMeta:o 2:spec:@core.PodSpec:o 3:status:@core.PodStatus:o",
    "core.PodAffinity": (
        "1:requiredDuringSchedulingIgnoredDuringExecution:[@core.PodAffinityTerm]:o"
        " 2:preferredDuringSchedulingIgnoredDuringExecution:[@core.WeightedPodAffinityTerm]:o"
    ),
    "core.PodAffinityTerm": (
        "1:labelSelector:@meta.LabelSelector:op 2:namespaces:[string]:o 3:topologyKey:string"
        " 4:namespaceSelector:@meta.LabelSelector:op 5:matchLabelKeys:[string]:o"
        " 6:mismatchLabelKeys:[string]:o"
    ),
    "core.PodAntiAffinity": (
        "1:requiredDuringSchedulingIgnoredDuringExecution:[@core.PodAffinityTerm]:o"
        " 2:preferredDuringSchedulingIgnoredDuringExecution:[@core.WeightedPodAffinityTerm]:o"
    ),
    "core.PodCertificateProjection": (
        "1:signerName:string:o 2:keyType:string:o 3:maxExpirationSeconds:int32:op"
        " 4:credentialBundlePath:string:o 5:keyPath:string:o 6:certificateChainPath:string:o"
        " 7:userAnnotations:{string}:o 8:user:int64:op"
    ),
    "core.PodCondition": (
        "1:type:string 7:observedGeneration:int64:o 2:status:string 3:lastProbeTime:time:o"
        " 4:lastTransitionTime:time:o 5:reason:string:o 6:message:string:o"
    ),
    "core.PodDNSConfig": (
        "1:nameservers:[string]:o 2:searches:[string]:o 3:options:[@core.PodDNSConfigOption]:o"
    ),
    "core.PodDNSConfigOption": "1:name:string:o 2:value:string:op",
    "core.PodExtendedResourceClaimStatus": (
        "1:requestMappings:[@core.ContainerExtendedResourceRequest] 2:resourceClaimName:string"
    ),
    "core.PodIP": "1:ip:string",
    "core.PodOS": "1:name:string",
    "core.PodReadinessGate": "1:conditionType:string",
    "core.PodResourceClaim": (
        "1:name:string 3:resourceClaimName:string:op 4:resourceClaimTemplateName:string:op"
    ),
    "core.PodResourceClaimStatus": "1:name:string 2:resourceClaimName:string:op",
    "core.PodSchedulingGate": "1:name:string",
    "core.PodSchedulingGroup": "1:podGroupName:string:op",
    "core.PodSecurityContext": (
        "1:seLinuxOptions:@core.SELinuxOptions:op 8:windowsOptions:@core.WindowsSecurityContextOptions:op"
        " 2:runAsUser:int64:op 6:runAsGroup:int64:op 3:runAsNonRoot:bool:op 4:supplementalGroups:[int64]:o"
        " 12:supplementalGroupsPolicy:string:op 5:fsGroup:int64:op 7:sysctls:[@core.Sysctl]:o"
        " 9:fsGroupChangePolicy:string:op 10:seccompProfile:@core.SeccompProfile:op"
        " 11:appArmorProfile:@core.AppArmorProfile:op 13:seLinuxChangePolicy:string:op"
    ),
    "core.PodSpec": (
        "1:volumes:[@core.Volume]:o 20:initContainers:[@core.Container]:o 2:containers:[@core.Container]"
        " 34:ephemeralContainers:[@core.EphemeralContainer]:o 3:restartPolicy:string:o"
        " 4:terminationGracePeriodSeconds:int64:op 5:activeDeadlineSeconds:int64:op 6:dnsPolicy:string:o"
        " 7:nodeSelector:{string}:o 8:serviceAccountName:string:o 9:serviceAccount:string:o"
        " 21:automountServiceAccountToken:bool:op 10:nodeName:string:o 11:hostNetwork:bool:o"
        " 12:hostPID:bool:o 13:hostIPC:bool:o 27:shareProcessNamespace:bool:op"
        " 14:securityContext:@core.PodSecurityContext:op 15:imagePullSecrets:[@core.LocalObjectReference]:o"
        " 16:hostname:string:o 17:subdomain:string:o 18:affinity:@core.Affinity:op 19:schedulerName:string:o"
        " 22:tolerations:[@core.Toleration]:o 23:hostAliases:[@core.HostAlias]:o"
        " 24:priorityClassName:string:o 25:priority:int32:op 26:dnsConfig:@core.PodDNSConfig:op"
        " 28:readinessGates:[@core.PodReadinessGate]:o 29:runtimeClassName:string:op"
        " 30:enableServiceLinks:bool:op 31:preemptionPolicy:string:op 32:overhead:{quantity}:o"
        " 33:topologySpreadConstraints:[@core.TopologySpreadConstraint]:o 35:setHostnameAsFQDN:bool:op"
        " 36:os:@core.PodOS:op 37:hostUsers:bool:op 38:schedulingGates:[@core.PodSchedulingGate]:o"
        " 39:resourceClaims:[@core.PodResourceClaim]:o 40:resources:@core.ResourceRequirements:op"
        " 41:hostnameOverride:string:op 43:schedulingGroup:@core.PodSchedulingGroup:op"
        " 44:evictionResponders:[@core.EvictionResponder]:o"
    ),
    "core.PodStatus": (
        "17:observedGeneration:int64:o 1:phase:string:o 2:conditions:[@core.PodCondition]:o"
        " 3:message:string:o 4:reason:string:o 11:nominatedNodeName:string:o 5:hostIP:string:o"
        " 16:hostIPs:[@core.HostIP]:o 6:podIP:string:o 12:podIPs:[@core.PodIP]:o 7:startTime:time:op"
        " 10:initContainerStatuses:[@core.ContainerStatus]:o 8:containerStatuses:[@core.ContainerStatus]:o"
        " 9:qosClass:string:o 13:ephemeralContainerStatuses:[@core.ContainerStatus]:o 14:resize:string:o"
        " 15:resourceClaimStatuses:[@core.PodResourceClaimStatus]:o"
        " 18:extendedResourceClaimStatus:@core.PodExtendedResourceClaimStatus:op"
        " 19:allocatedResources:{quantity}:o 20:resources:@core.ResourceRequirements:op"
        " 21:nodeAllocatableResourceClaimStatuses:[@core.NodeAllocatableResourceClaimStatus]:o"
        " 22:volumeHealth:[@core.PodVolumeHealth]:o"
    ),
    "core.PodTemplate": "1:metadata:@meta.ObjectMeta:o 2:template:@core.PodTemplateSpec:o",
    "core.PodTemplateSpec": "1:metadata:@meta.ObjectMeta:o 2:spec:@core.PodSpec:o",
    "core.PodVolumeHealth": (
        "1:name:string 2:healthConditions:[@core.VolumeHealthCondition]:o 3:lastTransitionTime:time:o"
    ),
    "core.PortStatus": "1:port:int32 2:protocol:string 3:error:string:op",
    "core.PortworxVolumeSource": "1:volumeID:string 2:fsType:string:o 3:readOnly:bool:o",
    "core.PreferredSchedulingTerm": "1:weight:int32 2:preference:@core.NodeSelectorTerm",
    "core.Probe": (
        "1::@core.ProbeHandler:i 2:initialDelaySeconds:int32:o 3:timeoutSeconds:int32:o"
        " 4:periodSeconds:int32:o 5:successThreshold:int32:o 6:failureThreshold:int32:o"
        " 7:terminationGracePeriodSeconds:int64:op"
    ),
    "core.ProbeHandler": (
        "1:exec:@core.ExecAction:op 2:httpGet:@core.HTTPGetAction:op 3:tcpSocket:@core.TCPSocketAction:op"
        " 4:grpc:@core.GRPCAction:op"
    ),
    "core.ProjectedVolumeSource": (
        "1:sources:[@core.VolumeProjection] 2:defaultMode:int32:op 3:defaultUser:int64:op"
    ),
    "core.QuobyteVolumeSource": (
        "1:registry:string 2:volume:string 3:readOnly:bool:o 4:user:string:o 5:group:string:o"
        " 6:tenant:string:o"
    ),
    "core.RBDPersistentVolumeSource": (
        "1:monitors:[string] 2:image:string 3:fsType:string:o 4:pool:string:o 5:user:string:o"
        " 6:keyring:string:o 7:secretRef:@core.SecretReference:op 8:readOnly:bool:o"
    ),
    "core.RBDVolumeSource": (
        "1:monitors:[string] 2:image:string 3:fsType:string:o 4:pool:string:o 5:user:string:o"
        " 6:keyring:string:o 7:secretRef:@core.LocalObjectReference:op 8:readOnly:bool:o"
    ),
    "core.ReplicationController": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@core.ReplicationControllerSpec:o"
        " 3:status:@core.ReplicationControllerStatus:o"
    ),
    "core.ReplicationControllerCondition": (
        "1:type:string 2:status:string 3:lastTransitionTime:time:o 4:reason:string:o 5:message:string:o"
    ),
    "core.ReplicationControllerSpec": (
        "1:replicas:int32:op 4:minReadySeconds:int32:o 2:selector:{string}:o"
        " 3:template:@core.PodTemplateSpec:op"
    ),
    "core.ReplicationControllerStatus": (
        "1:replicas:int32 2:fullyLabeledReplicas:int32:o 4:readyReplicas:int32:o 5:availableReplicas:int32:o"
        " 3:observedGeneration:int64:o 6:conditions:[@core.ReplicationControllerCondition]:o"
    ),
    "core.ResourceClaim": "1:name:string 2:request:string:o",
    "core.ResourceFieldSelector": "1:containerName:string:o 2:resource:string 3:divisor:quantity:o",
    "core.ResourceHealth": "1:resourceID:string 2:health:string:o 6:message:string:op",
    "core.ResourceQuota": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@core.ResourceQuotaSpec:o 3:status:@core.ResourceQuotaStatus:o"
    ),
    "core.ResourceQuotaSpec": (
        "1:hard:{quantity}:o 2:scopes:[string]:o 3:scopeSelector:@core.ScopeSelector:op"
    ),
    "core.ResourceQuotaStatus": "1:hard:{quantity}:o 2:used:{quantity}:o",
    "core.ResourceRequirements": (
        "1:limits:{quantity}:o 2:requests:{quantity}:o 3:claims:[@core.ResourceClaim]:o"
    ),
    "core.ResourceStatus": "1:name:string 2:resources:[@core.ResourceHealth]:o",
    "core.SELinuxOptions": "1:user:string:o 2:role:string:o 3:type:string:o 4:level:string:o",
    "core.ScaleIOPersistentVolumeSource": (
        "1:gateway:string 2:system:string 3:secretRef:@core.SecretReference:p 4:sslEnabled:bool:o"
        " 5:protectionDomain:string:o 6:storagePool:string:o 7:storageMode:string:o 8:volumeName:string:o"
        " 9:fsType:string:o 10:readOnly:bool:o"
    ),
    "core.ScaleIOVolumeSource": (
        "1:gateway:string 2:system:string 3:secretRef:@core.LocalObjectReference:p 4:sslEnabled:bool:o"
        " 5:protectionDomain:string:o 6:storagePool:string:o 7:storageMode:string:o 8:volumeName:string:o"
        " 9:fsType:string:o 10:readOnly:bool:o"
    ),
    "core.ScopeSelector": "1:matchExpressions:[@core.ScopedResourceSelectorRequirement]:o",
    "core.ScopedResourceSelectorRequirement": "1:scopeName:string 2:operator:string 3:values:[string]:o",
    "core.SeccompProfile": "1:type:string 2:localhostProfile:string:op",
    "core.Secret": (
        "1:metadata:@meta.ObjectMeta:o 5:immutable:bool:op 2:data:{bytes}:o 4:stringData:{string}:o"
        " 3:type:string:o"
    ),
    "core.SecretEnvSource": "1::@core.LocalObjectReference:i 2:optional:bool:op",
    "core.SecretKeySelector": "1::@core.LocalObjectReference:i 2:key:string 3:optional:bool:op",
    "core.SecretProjection": "1::@core.LocalObjectReference:i 2:items:[@core.KeyToPath]:o 4:optional:bool:op",
    "core.SecretReference": "1:name:string:o 2:namespace:string:o",
    "core.SecretVolumeSource": (
        "1:secretName:string:o 2:items:[@core.KeyToPath]:o 3:defaultMode:int32:op 4:optional:bool:op"
        " 5:defaultUser:int64:op"
    ),
    "core.SecurityContext": (
        "1:capabilities:@core.Capabilities:op 2:privileged:bool:op 3:seLinuxOptions:@core.SELinuxOptions:op"
        " 10:windowsOptions:@core.WindowsSecurityContextOptions:op 4:runAsUser:int64:op 8:runAsGroup:int64:op"
        " 5:runAsNonRoot:bool:op 6:readOnlyRootFilesystem:bool:op 7:allowPrivilegeEscalation:bool:op"
        " 9:procMount:string:op 11:seccompProfile:@core.SeccompProfile:op"
        " 12:appArmorProfile:@core.AppArmorProfile:op"
    ),
    "core.Service": "1:metadata:@meta.ObjectMeta:o 2:spec:@core.ServiceSpec:o 3:status:@core.ServiceStatus:o",
    "core.ServiceAccount": (
        "1:metadata:@meta.ObjectMeta:o 2:secrets:[@core.ObjectReference]:o"
        " 3:imagePullSecrets:[@core.LocalObjectReference]:o 4:automountServiceAccountToken:bool:op"
    ),
    "core.ServiceAccountTokenProjection": (
        "1:audience:string:o 2:expirationSeconds:int64:op 3:path:string 4:user:int64:op"
    ),
    "core.ServicePort": (
        "1:name:string:o 2:protocol:string:o 6:appProtocol:string:op 3:port:int32 4:targetPort:intorstr:o"
        " 5:nodePort:int32:o"
    ),
    "core.ServiceSpec": (
        "1:ports:[@core.ServicePort]:o 2:selector:{string}:o 3:clusterIP:string:o 18:clusterIPs:[string]:o"
        " 4:type:string:o 5:externalIPs:[string]:o 7:sessionAffinity:string:o 8:loadBalancerIP:string:o"
        " 9:loadBalancerSourceRanges:[string]:o 10:externalName:string:o 11:externalTrafficPolicy:string:o"
        " 12:healthCheckNodePort:int32:o 13:publishNotReadyAddresses:bool:o"
        " 14:sessionAffinityConfig:@core.SessionAffinityConfig:op 19:ipFamilies:[string]:o"
        " 17:ipFamilyPolicy:string:op 20:allocateLoadBalancerNodePorts:bool:op 21:loadBalancerClass:string:op"
        " 22:internalTrafficPolicy:string:op 23:trafficDistribution:string:op"
    ),
    "core.ServiceStatus": "1:loadBalancer:@core.LoadBalancerStatus:o 2:conditions:[@meta.Condition]:o",
    "core.SessionAffinityConfig": "1:clientIP:@core.ClientIPConfig:op",
    "core.SleepAction": "1:seconds:int64",
    "core.StorageOSPersistentVolumeSource": (
        "1:volumeName:string:o 2:volumeNamespace:string:o 3:fsType:string:o 4:readOnly:bool:o"
        " 5:secretRef:@core.ObjectReference:op"
    ),
    "core.StorageOSVolumeSource": (
        "1:volumeName:string:o 2:volumeNamespace:string:o 3:fsType:string:o 4:readOnly:bool:o"
        " 5:secretRef:@core.LocalObjectReference:op"
    ),
    "core.Sysctl": "1:name:string 2:value:string",
    "core.TCPSocketAction": "1:port:intorstr 2:host:string:o",
    "core.Taint": "1:key:string 2:value:string:o 3:effect:string 4:timeAdded:time:op",
    "core.Toleration": (
        "1:key:string:o 2:operator:string:o 3:value:string:o 4:effect:string:o 5:tolerationSeconds:int64:op"
    ),
    "core.TopologySelectorLabelRequirement": "1:key:string 2:values:[string]",
    "core.TopologySelectorTerm": "1:matchLabelExpressions:[@core.TopologySelectorLabelRequirement]:o",
    "core.TopologySpreadConstraint": (
        "1:maxSkew:int32 2:topologyKey:string 3:whenUnsatisfiable:string"
        " 4:labelSelector:@meta.LabelSelector:op 5:minDomains:int32:op 6:nodeAffinityPolicy:string:op"
        " 7:nodeTaintsPolicy:string:op 8:matchLabelKeys:[string]:o"
    ),
    "core.TypedLocalObjectReference": "1:apiGroup:string:p 2:kind:string 3:name:string",
    "core.TypedObjectReference": "1:apiGroup:string:p 2:kind:string 3:name:string 4:namespace:string:op",
    "core.Volume": "1:name:string 2::@core.VolumeSource:i",
    "core.VolumeDevice": "1:name:string 2:devicePath:string",
    "core.VolumeHealthCondition": "1:status:string 2:reason:string 3:message:string:o",
    "core.VolumeHealthStatus": (
        "1:healthConditions:[@core.VolumeHealthCondition]:o 2:lastTransitionTime:time:o"
    ),
    "core.VolumeMount": (
        "1:name:string 2:readOnly:bool:o 7:recursiveReadOnly:string:op 3:mountPath:string 4:subPath:string:o"
        " 5:mountPropagation:string:op 6:subPathExpr:string:o 8:bindMountOptions:[string]:o"
    ),
    "core.VolumeMountStatus": (
        "1:name:string 2:mountPath:string 3:readOnly:bool:o 4:recursiveReadOnly:string:op"
        " 5:volumeStatus:@core.VolumeStatus:op"
    ),
    "core.VolumeNodeAffinity": "1:required:@core.NodeSelector:op",
    "core.VolumeProjection": (
        "1:secret:@core.SecretProjection:op 2:downwardAPI:@core.DownwardAPIProjection:op"
        " 3:configMap:@core.ConfigMapProjection:op"
        " 4:serviceAccountToken:@core.ServiceAccountTokenProjection:op"
        " 5:clusterTrustBundle:@core.ClusterTrustBundleProjection:op"
        " 6:podCertificate:@core.PodCertificateProjection:op"
    ),
    "core.VolumeResourceRequirements": "1:limits:{quantity}:o 2:requests:{quantity}:o",
    "core.VolumeSource": (
        "1:hostPath:@core.HostPathVolumeSource:op 2:emptyDir:@core.EmptyDirVolumeSource:op"
        " 3:gcePersistentDisk:@core.GCEPersistentDiskVolumeSource:op"
        " 4:awsElasticBlockStore:@core.AWSElasticBlockStoreVolumeSource:op"
        " 5:gitRepo:@core.GitRepoVolumeSource:op 6:secret:@core.SecretVolumeSource:op"
        " 7:nfs:@core.NFSVolumeSource:op 8:iscsi:@core.ISCSIVolumeSource:op"
        " 9:glusterfs:@core.GlusterfsVolumeSource:op"
        " 10:persistentVolumeClaim:@core.PersistentVolumeClaimVolumeSource:op 11:rbd:@core.RBDVolumeSource:op"
        " 12:flexVolume:@core.FlexVolumeSource:op 13:cinder:@core.CinderVolumeSource:op"
        " 14:cephfs:@core.CephFSVolumeSource:op 15:flocker:@core.FlockerVolumeSource:op"
        " 16:downwardAPI:@core.DownwardAPIVolumeSource:op 17:fc:@core.FCVolumeSource:op"
        " 18:azureFile:@core.AzureFileVolumeSource:op 19:configMap:@core.ConfigMapVolumeSource:op"
        " 20:vsphereVolume:@core.VsphereVirtualDiskVolumeSource:op 21:quobyte:@core.QuobyteVolumeSource:op"
        " 22:azureDisk:@core.AzureDiskVolumeSource:op"
        " 23:photonPersistentDisk:@core.PhotonPersistentDiskVolumeSource:op"
        " 26:projected:@core.ProjectedVolumeSource:op 24:portworxVolume:@core.PortworxVolumeSource:op"
        " 25:scaleIO:@core.ScaleIOVolumeSource:op 27:storageos:@core.StorageOSVolumeSource:op"
        " 28:csi:@core.CSIVolumeSource:op 29:ephemeral:@core.EphemeralVolumeSource:op"
        " 30:image:@core.ImageVolumeSource:op"
    ),
    "core.VolumeStatus": "1:image:@core.ImageVolumeStatus:op",
    "core.VsphereVirtualDiskVolumeSource": (
        "1:volumePath:string 2:fsType:string:o 3:storagePolicyName:string:o 4:storagePolicyID:string:o"
    ),
    "core.WeightedPodAffinityTerm": "1:weight:int32 2:podAffinityTerm:@core.PodAffinityTerm",
    "core.WindowsSecurityContextOptions": (
        "1:gmsaCredentialSpecName:string:op 2:gmsaCredentialSpec:string:op 3:runAsUserName:string:op"
        " 4:hostProcess:bool:op"
    ),
    "discovery.Endpoint": (
        "1:addresses:[string] 2:conditions:@discovery.EndpointConditions:o 3:hostname:string:op"
        " 4:targetRef:@core.ObjectReference:op 5:deprecatedTopology:{string}:o 6:nodeName:string:op"
        " 7:zone:string:op 8:hints:@discovery.EndpointHints:op"
    ),
    "discovery.EndpointConditions": "1:ready:bool:op 2:serving:bool:op 3:terminating:bool:op",
    "discovery.EndpointHints": "1:forZones:[@discovery.ForZone]:o 2:forNodes:[@discovery.ForNode]:o",
    "discovery.EndpointPort": "1:name:string:op 2:protocol:string:op 3:port:int32:op 4:appProtocol:string:op",
    "discovery.EndpointSlice": (
        "1:metadata:@meta.ObjectMeta:o 4:addressType:string 2:endpoints:[@discovery.Endpoint]"
        " 3:ports:[@discovery.EndpointPort]"
    ),
    "discovery.ForNode": "1:name:string",
    "discovery.ForZone": "1:name:string",
    "events.Event": (
        "1:metadata:@meta.ObjectMeta 2:eventTime:microtime 3:series:@events.EventSeries:op"
        " 4:reportingController:string:o 5:reportingInstance:string:o 6:action:string:o 7:reason:string:o"
        " 8:regarding:@core.ObjectReference:o 9:related:@core.ObjectReference:op 10:note:string:o"
        " 11:type:string:o 12:deprecatedSource:@core.EventSource:o 13:deprecatedFirstTimestamp:time:o"
        " 14:deprecatedLastTimestamp:time:o 15:deprecatedCount:int32:o"
    ),
    "events.EventSeries": "1:count:int32 2:lastObservedTime:microtime",
    "flowcontrol.ExemptPriorityLevelConfiguration": (
        "1:nominalConcurrencyShares:int32:op 2:lendablePercent:int32:op"
    ),
    "flowcontrol.FlowDistinguisherMethod": "1:type:string",
    "flowcontrol.FlowSchema": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@flowcontrol.FlowSchemaSpec:o"
        " 3:status:@flowcontrol.FlowSchemaStatus:o"
    ),
    "flowcontrol.FlowSchemaCondition": (
        "1:type:string:o 2:status:string:o 3:lastTransitionTime:time:o 4:reason:string:o 5:message:string:o"
    ),
    "flowcontrol.FlowSchemaSpec": (
        "1:priorityLevelConfiguration:@flowcontrol.PriorityLevelConfigurationReference"
        " 2:matchingPrecedence:int32 3:distinguisherMethod:@flowcontrol.FlowDistinguisherMethod:op"
        " 4:rules:[@flowcontrol.PolicyRulesWithSubjects]:o"
    ),
    "flowcontrol.FlowSchemaStatus": "1:conditions:[@flowcontrol.FlowSchemaCondition]:o",
    "flowcontrol.GroupSubject": "1:name:string",
    "flowcontrol.LimitResponse": "1:type:string 2:queuing:@flowcontrol.QueuingConfiguration:op",
    "flowcontrol.LimitedPriorityLevelConfiguration": (
        "1:nominalConcurrencyShares:int32:p 2:limitResponse:@flowcontrol.LimitResponse:o"
        " 3:lendablePercent:int32:op 4:borrowingLimitPercent:int32:op"
    ),
    "flowcontrol.NonResourcePolicyRule": "1:verbs:[string] 6:nonResourceURLs:[string]",
    "flowcontrol.PolicyRulesWithSubjects": (
        "1:subjects:[@flowcontrol.Subject] 2:resourceRules:[@flowcontrol.ResourcePolicyRule]:o"
        " 3:nonResourceRules:[@flowcontrol.NonResourcePolicyRule]:o"
    ),
    "flowcontrol.PriorityLevelConfiguration": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@flowcontrol.PriorityLevelConfigurationSpec:o"
        " 3:status:@flowcontrol.PriorityLevelConfigurationStatus:o"
    ),
    "flowcontrol.PriorityLevelConfigurationCondition": (
        "1:type:string:o 2:status:string:o 3:lastTransitionTime:time:o 4:reason:string:o 5:message:string:o"
    ),
    "flowcontrol.PriorityLevelConfigurationReference": "1:name:string",
    "flowcontrol.PriorityLevelConfigurationSpec": (
        "1:type:string 2:limited:@flowcontrol.LimitedPriorityLevelConfiguration:op"
        " 3:exempt:@flowcontrol.ExemptPriorityLevelConfiguration:op"
    ),
    "flowcontrol.PriorityLevelConfigurationStatus": (
        "1:conditions:[@flowcontrol.PriorityLevelConfigurationCondition]:o"
    ),
    "flowcontrol.QueuingConfiguration": "1:queues:int32 2:handSize:int32 3:queueLengthLimit:int32",
    "flowcontrol.ResourcePolicyRule": (
        "1:verbs:[string] 2:apiGroups:[string] 3:resources:[string] 4:clusterScope:bool:o"
        " 5:namespaces:[string]"
    ),
    "flowcontrol.ServiceAccountSubject": "1:namespace:string 2:name:string",
    "flowcontrol.Subject": (
        "1:kind:string 2:user:@flowcontrol.UserSubject:op 3:group:@flowcontrol.GroupSubject:op"
        " 4:serviceAccount:@flowcontrol.ServiceAccountSubject:op"
    ),
    "flowcontrol.UserSubject": "1:name:string",
    "meta.Condition": (
        "1:type:string 2:status:string 3:observedGeneration:int64:o 4:lastTransitionTime:time 5:reason:string"
        " 6:message:string"
    ),
    "meta.DeleteOptions": (
        "1:gracePeriodSeconds:int64:op 2:preconditions:@meta.Preconditions:op 3:orphanDependents:bool:op"
        " 4:propagationPolicy:string:op 5:dryRun:[string]:o"
        " 6:ignoreStoreReadErrorWithClusterBreakingPotential:bool:op"
    ),
    "meta.FieldSelectorRequirement": "1:key:string 2:operator:string 3:values:[string]:o",
    "meta.LabelSelector": "1:matchLabels:{string}:o 2:matchExpressions:[@meta.LabelSelectorRequirement]:o",
    "meta.LabelSelectorRequirement": "1:key:string 2:operator:string 3:values:[string]:o",
    "meta.ListMeta": (
        "1:selfLink:string:o 2:resourceVersion:string:o 3:continue:string:o 4:remainingItemCount:int64:op"
        " 5:shardInfo:@meta.ShardInfo:op"
    ),
    "meta.ManagedFieldsEntry": (
        "1:manager:string:o 2:operation:string:o 3:apiVersion:string:o 4:time:time:op 6:fieldsType:string:o"
        " 7:fieldsV1:fieldsv1:op 8:subresource:string:o"
    ),
    "meta.ObjectMeta": (
        "1:name:string:o 2:generateName:string:o 3:namespace:string:o 4:selfLink:string:o 5:uid:string:o"
        " 6:resourceVersion:string:o 7:generation:int64:o 8:creationTimestamp:time:oz"
        " 9:deletionTimestamp:time:op 10:deletionGracePeriodSeconds:int64:op 11:labels:{string}:o"
        " 12:annotations:{string}:o 13:ownerReferences:[@meta.OwnerReference]:o 14:finalizers:[string]:o"
        " 17:managedFields:[@meta.ManagedFieldsEntry]:o"
    ),
    "meta.OwnerReference": (
        "5:apiVersion:string 1:kind:string 3:name:string 4:uid:string 6:controller:bool:op"
        " 7:blockOwnerDeletion:bool:op"
    ),
    "meta.Preconditions": "1:uid:string:op 2:resourceVersion:string:op",
    "meta.ShardInfo": "1:selector:string",
    "meta.Status": (
        "1:metadata:@meta.ListMeta:o 2:status:string:o 3:message:string:o 4:reason:string:o"
        " 5:details:@meta.StatusDetails:op 6:code:int32:o"
    ),
    "meta.StatusCause": "1:reason:string:o 2:message:string:o 3:field:string:o",
    "meta.StatusDetails": (
        "1:name:string:o 2:group:string:o 3:kind:string:o 6:uid:string:o 4:causes:[@meta.StatusCause]:o"
        " 5:retryAfterSeconds:int32:o"
    ),
    "networking.HTTPIngressPath": "1:path:string:o 3:pathType:string:p 2:backend:@networking.IngressBackend",
    "networking.HTTPIngressRuleValue": "1:paths:[@networking.HTTPIngressPath]",
    "networking.IPAddress": "1:metadata:@meta.ObjectMeta:o 2:spec:@networking.IPAddressSpec:o",
    "networking.IPAddressSpec": "1:parentRef:@networking.ParentReference:op",
    "networking.IPBlock": "1:cidr:string 2:except:[string]:o",
    "networking.Ingress": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@networking.IngressSpec:o 3:status:@networking.IngressStatus:o"
    ),
    "networking.IngressBackend": (
        "4:service:@networking.IngressServiceBackend:op 3:resource:@core.TypedLocalObjectReference:op"
    ),
    "networking.IngressClass": "1:metadata:@meta.ObjectMeta:o 2:spec:@networking.IngressClassSpec:o",
    "networking.IngressClassParametersReference": (
        "1:apiGroup:string:op 2:kind:string 3:name:string 4:scope:string:p 5:namespace:string:op"
    ),
    "networking.IngressClassSpec": (
        "1:controller:string:o 2:parameters:@networking.IngressClassParametersReference:op"
    ),
    "networking.IngressLoadBalancerIngress": (
        "1:ip:string:o 2:hostname:string:o 4:ports:[@networking.IngressPortStatus]:o"
    ),
    "networking.IngressLoadBalancerStatus": "1:ingress:[@networking.IngressLoadBalancerIngress]:o",
    "networking.IngressPortStatus": "1:port:int32 2:protocol:string 3:error:string:op",
    "networking.IngressRule": "1:host:string:o 2::@networking.IngressRuleValue:i",
    "networking.IngressRuleValue": "1:http:@networking.HTTPIngressRuleValue:op",
    "networking.IngressServiceBackend": "1:name:string 2:port:@networking.ServiceBackendPort:o",
    "networking.IngressSpec": (
        "4:ingressClassName:string:op 1:defaultBackend:@networking.IngressBackend:op"
        " 2:tls:[@networking.IngressTLS]:o 3:rules:[@networking.IngressRule]:o"
    ),
    "networking.IngressStatus": "1:loadBalancer:@networking.IngressLoadBalancerStatus:o",
    "networking.IngressTLS": "1:hosts:[string]:o 2:secretName:string:o",
    "networking.NetworkPolicy": "1:metadata:@meta.ObjectMeta:o 2:spec:@networking.NetworkPolicySpec:o",
    "networking.NetworkPolicyEgressRule": (
        "1:ports:[@networking.NetworkPolicyPort]:o 2:to:[@networking.NetworkPolicyPeer]:o"
    ),
    "networking.NetworkPolicyIngressRule": (
        "1:ports:[@networking.NetworkPolicyPort]:o 2:from:[@networking.NetworkPolicyPeer]:o"
    ),
    "networking.NetworkPolicyPeer": (
        "1:podSelector:@meta.LabelSelector:op 2:namespaceSelector:@meta.LabelSelector:op"
        " 3:ipBlock:@networking.IPBlock:op"
    ),
    "networking.NetworkPolicyPort": "1:protocol:string:op 2:port:intorstr:op 3:endPort:int32:op",
    "networking.NetworkPolicySpec": (
        "1:podSelector:@meta.LabelSelector 2:ingress:[@networking.NetworkPolicyIngressRule]:o"
        " 3:egress:[@networking.NetworkPolicyEgressRule]:o 4:policyTypes:[string]:o"
    ),
    "networking.ParentReference": "1:group:string:o 2:resource:string:o 3:namespace:string:o 4:name:string:o",
    "networking.ServiceBackendPort": "1:name:string:o 2:number:int32:o",
    "networking.ServiceCIDR": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@networking.ServiceCIDRSpec:o"
        " 3:status:@networking.ServiceCIDRStatus:o"
    ),
    "networking.ServiceCIDRSpec": "1:cidrs:[string]:o",
    "networking.ServiceCIDRStatus": "1:conditions:[@meta.Condition]:o",
    "node.Overhead": "1:podFixed:{quantity}:o",
    "node.RuntimeClass": (
        "1:metadata:@meta.ObjectMeta:o 2:handler:string 3:overhead:@node.Overhead:op"
        " 4:scheduling:@node.Scheduling:op"
    ),
    "node.Scheduling": "1:nodeSelector:{string}:o 2:tolerations:[@core.Toleration]:o",
    "policy.Eviction": "1:metadata:@meta.ObjectMeta:o 2:deleteOptions:@meta.DeleteOptions:op",
    "policy.PodDisruptionBudget": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@policy.PodDisruptionBudgetSpec:o"
        " 3:status:@policy.PodDisruptionBudgetStatus:o"
    ),
    "policy.PodDisruptionBudgetSpec": (
        "1:minAvailable:intorstr:op 2:selector:@meta.LabelSelector:op 3:maxUnavailable:intorstr:op"
        " 4:unhealthyPodEvictionPolicy:string:op"
    ),
    "policy.PodDisruptionBudgetStatus": (
        "1:observedGeneration:int64:o 2:disruptedPods:{time}:o 3:disruptionsAllowed:int32"
        " 4:currentHealthy:int32 5:desiredHealthy:int32 6:expectedPods:int32 7:conditions:[@meta.Condition]:o"
    ),
    "rbac.AggregationRule": "1:clusterRoleSelectors:[@meta.LabelSelector]:o",
    "rbac.ClusterRole": (
        "1:metadata:@meta.ObjectMeta:o 2:rules:[@rbac.PolicyRule] 3:aggregationRule:@rbac.AggregationRule:op"
    ),
    "rbac.ClusterRoleBinding": (
        "1:metadata:@meta.ObjectMeta:o 2:subjects:[@rbac.Subject]:o 3:roleRef:@rbac.RoleRef"
    ),
    "rbac.PolicyRule": (
        "1:verbs:[string] 2:apiGroups:[string]:o 3:resources:[string]:o 4:resourceNames:[string]:o"
        " 5:nonResourceURLs:[string]:o"
    ),
    "rbac.Role": "1:metadata:@meta.ObjectMeta:o 2:rules:[@rbac.PolicyRule]",
    "rbac.RoleBinding": "1:metadata:@meta.ObjectMeta:o 2:subjects:[@rbac.Subject]:o 3:roleRef:@rbac.RoleRef",
    "rbac.RoleRef": "1:apiGroup:string 2:kind:string 3:name:string",
    "rbac.Subject": "1:kind:string 2:apiGroup:string:o 3:name:string 4:namespace:string:o",
    "resource.AllocatedDeviceStatus": (
        "1:driver:string 2:pool:string 3:device:string 7:shareID:string:op 4:conditions:[@meta.Condition]"
        " 5:data:rawext:op 6:networkData:@resource.NetworkDeviceData:op"
    ),
    "resource.AllocationResult": (
        "1:devices:@resource.DeviceAllocationResult:o 3:nodeSelector:@core.NodeSelector:op"
        " 5:allocationTimestamp:time:op"
    ),
    "resource.CELDeviceSelector": "1:expression:string",
    "resource.CapacityRequestPolicy": (
        "1:default:quantity:p 3:validValues:[quantity]:o 4:validRange:@resource.CapacityRequestPolicyRange:op"
    ),
    "resource.CapacityRequestPolicyRange": "1:min:quantity:op 2:max:quantity:op 3:step:quantity:op",
    "resource.CapacityRequirements": "1:requests:{quantity}:o",
    "resource.Counter": "1:value:quantity",
    "resource.CounterSet": "1:name:string 2:counters:{@resource.Counter}:o",
    "resource.Device": (
        "1:name:string 2:attributes:{@resource.DeviceAttribute}:o 3:capacity:{@resource.DeviceCapacity}:o"
        " 4:consumesCounters:[@resource.DeviceCounterConsumption]:o 5:nodeName:string:op"
        " 6:nodeSelector:@core.NodeSelector:op 7:allNodes:bool:op 8:taints:[@resource.DeviceTaint]:o"
        " 9:bindsToNode:bool:op 10:bindingConditions:[string]:o 11:bindingFailureConditions:[string]:o"
        " 12:allowMultipleAllocations:bool:op"
        " 14:nodeAllocatableResources:{@resource.NodeAllocatableResource}:o"
    ),
    "resource.DeviceAllocationConfiguration": (
        "1:source:string 2:requests:[string]:o 3::@resource.DeviceConfiguration:i"
    ),
    "resource.DeviceAllocationResult": (
        "1:results:[@resource.DeviceRequestAllocationResult]:o"
        " 2:config:[@resource.DeviceAllocationConfiguration]:o"
    ),
    "resource.DeviceAttribute": (
        "2:int:int64:op 3:bool:bool:op 4:string:string:op 5:version:string:op 6:ints:[int64]:o"
        " 7:bools:[bool]:o 8:strings:[string]:o 9:versions:[string]:o"
    ),
    "resource.DeviceCapacity": "1:value:quantity 2:requestPolicy:@resource.CapacityRequestPolicy:op",
    "resource.DeviceClaim": (
        "1:requests:[@resource.DeviceRequest] 2:constraints:[@resource.DeviceConstraint]:o"
        " 3:config:[@resource.DeviceClaimConfiguration]:o"
    ),
    "resource.DeviceClaimConfiguration": "1:requests:[string]:o 2::@resource.DeviceConfiguration:i",
    "resource.DeviceClass": "1:metadata:@meta.ObjectMeta:o 2:spec:@resource.DeviceClassSpec",
    "resource.DeviceClassConfiguration": "1::@resource.DeviceConfiguration:i",
    "resource.DeviceClassSpec": (
        "1:selectors:[@resource.DeviceSelector]:o 2:config:[@resource.DeviceClassConfiguration]:o"
        " 4:extendedResourceName:string:op"
    ),
    "resource.DeviceConfiguration": "1:opaque:@resource.OpaqueDeviceConfiguration:op",
    "resource.DeviceConstraint": (
        "1:requests:[string]:o 2:matchAttribute:string:op 3:distinctAttribute:string:op"
    ),
    "resource.DeviceCounterConsumption": "1:counterSet:string 2:counters:{@resource.Counter}:o",
    "resource.DeviceRequest": (
        "1:name:string 2:exactly:@resource.ExactDeviceRequest:op"
        " 3:firstAvailable:[@resource.DeviceSubRequest]:o"
    ),
    "resource.DeviceRequestAllocationResult": (
        "1:request:string 2:driver:string 3:pool:string 4:device:string 5:adminAccess:bool:op"
        " 6:tolerations:[@resource.DeviceToleration]:o 7:bindingConditions:[string]:o"
        " 8:bindingFailureConditions:[string]:o 9:shareID:string:op 10:consumedCapacity:{quantity}:o"
        " 11:skipNodeOperations:[string]:o"
    ),
    "resource.DeviceSelector": "1:cel:@resource.CELDeviceSelector:op",
    "resource.DeviceSubRequest": (
        "1:name:string 2:deviceClassName:string 3:selectors:[@resource.DeviceSelector]:o"
        " 4:allocationMode:string:o 5:count:int64:o 6:tolerations:[@resource.DeviceToleration]:o"
        " 7:capacity:@resource.CapacityRequirements:op"
    ),
    "resource.DeviceTaint": "1:key:string 2:value:string:o 3:effect:string 4:timeAdded:time:op",
    "resource.DeviceTaintRule": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@resource.DeviceTaintRuleSpec"
        " 3:status:@resource.DeviceTaintRuleStatus:o"
    ),
    "resource.DeviceTaintRuleSpec": (
        "1:deviceSelector:@resource.DeviceTaintSelector:op 2:taint:@resource.DeviceTaint:o"
    ),
    "resource.DeviceTaintRuleStatus": "1:conditions:[@meta.Condition]:o",
    "resource.DeviceTaintSelector": "2:driver:string:op 3:pool:string:op 4:device:string:op",
    "resource.DeviceToleration": (
        "1:key:string:o 2:operator:string:o 3:value:string:o 4:effect:string:o 5:tolerationSeconds:int64:op"
    ),
    "resource.ExactDeviceRequest": (
        "1:deviceClassName:string 2:selectors:[@resource.DeviceSelector]:o 3:allocationMode:string:o"
        " 4:count:int64:o 5:adminAccess:bool:op 6:tolerations:[@resource.DeviceToleration]:o"
        " 7:capacity:@resource.CapacityRequirements:op"
    ),
    "resource.NetworkDeviceData": "1:interfaceName:string:o 2:ips:[string]:o 3:hardwareAddress:string:o",
    "resource.NodeAllocatableMapping": (
        "1:capacityKey:string:op 2:capacityMultiplier:quantity:op 3:deviceMultiplier:quantity:op"
    ),
    "resource.NodeAllocatableOverhead": "1:perPod:quantity:op 2:perContainer:quantity:op",
    "resource.NodeAllocatableResource": (
        "3:mapping:@resource.NodeAllocatableMapping:op 4:overhead:@resource.NodeAllocatableOverhead:op"
    ),
    "resource.OpaqueDeviceConfiguration": "1:driver:string 2:parameters:rawext",
    "resource.ResourceClaim": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@resource.ResourceClaimSpec"
        " 3:status:@resource.ResourceClaimStatus:o"
    ),
    "resource.ResourceClaimConsumerReference": (
        "1:apiGroup:string:o 3:resource:string 4:name:string 5:uid:string"
    ),
    "resource.ResourceClaimSpec": "1:devices:@resource.DeviceClaim",
    "resource.ResourceClaimStatus": (
        "1:allocation:@resource.AllocationResult:op"
        " 2:reservedFor:[@resource.ResourceClaimConsumerReference]:o"
        " 4:devices:[@resource.AllocatedDeviceStatus]:o"
    ),
    "resource.ResourceClaimTemplate": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@resource.ResourceClaimTemplateSpec"
    ),
    "resource.ResourceClaimTemplateSpec": "1:metadata:@meta.ObjectMeta:o 2:spec:@resource.ResourceClaimSpec",
    "resource.ResourcePool": "1:name:string 2:generation:int64 3:resourceSliceCount:int64",
    "resource.ResourceSlice": "1:metadata:@meta.ObjectMeta:o 2:spec:@resource.ResourceSliceSpec",
    "resource.ResourceSliceSpec": (
        "1:driver:string 2:pool:@resource.ResourcePool 3:nodeName:string:op"
        " 4:nodeSelector:@core.NodeSelector:op 5:allNodes:bool:op 6:devices:[@resource.Device]:o"
        " 7:perDeviceNodeSelection:bool:op 8:sharedCounters:[@resource.CounterSet]:o"
        " 9:partitionTypeAttribute:string:op 10:skipNodeOperations:[string]:o"
    ),
    "scheduling.PriorityClass": (
        "1:metadata:@meta.ObjectMeta:o 2:value:int32 3:globalDefault:bool:o 4:description:string:o"
        " 5:preemptionPolicy:string:op"
    ),
    "schedulingv1alpha3.TopologyConstraint": "1:key:string",
    "schedulingv1alpha3.WorkloadPodGroupAllDisruptionMode": "",
    "schedulingv1alpha3.WorkloadPodGroupBasicSchedulingPolicy": "",
    "schedulingv1alpha3.WorkloadPodGroupDisruptionMode": (
        "1:single:@schedulingv1alpha3.WorkloadPodGroupSingleDisruptionMode:op"
        " 2:all:@schedulingv1alpha3.WorkloadPodGroupAllDisruptionMode:op"
    ),
    "schedulingv1alpha3.WorkloadPodGroupGangSchedulingPolicy": "1:minCount:int32:op",
    "schedulingv1alpha3.WorkloadPodGroupResourceClaim": (
        "1:name:string 2:resourceClaimName:string:op 3:resourceClaimTemplateName:string:op"
    ),
    "schedulingv1alpha3.WorkloadPodGroupSchedulingConstraints": (
        "1:topology:[@schedulingv1alpha3.TopologyConstraint]:o"
    ),
    "schedulingv1alpha3.WorkloadPodGroupSchedulingPolicy": (
        "1:basic:@schedulingv1alpha3.WorkloadPodGroupBasicSchedulingPolicy:op"
        " 2:gang:@schedulingv1alpha3.WorkloadPodGroupGangSchedulingPolicy:op"
    ),
    "schedulingv1alpha3.WorkloadPodGroupSingleDisruptionMode": "",
    "storage.CSIDriver": "1:metadata:@meta.ObjectMeta:o 2:spec:@storage.CSIDriverSpec",
    "storage.CSIDriverSpec": (
        "1:attachRequired:bool:op 2:podInfoOnMount:bool:op 3:volumeLifecycleModes:[string]:o"
        " 4:storageCapacity:bool:op 5:fsGroupPolicy:string:op 6:tokenRequests:[@storage.TokenRequest]:o"
        " 7:requiresRepublish:bool:op 8:seLinuxMount:bool:op 9:nodeAllocatableUpdatePeriodSeconds:int64:op"
        " 10:serviceAccountTokenInSecrets:bool:op 11:preventPodSchedulingIfMissing:bool:op"
    ),
    "storage.CSINode": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@storage.CSINodeSpec 3:status:@storage.CSINodeStatus:o"
    ),
    "storage.CSINodeDriver": (
        "1:name:string 2:nodeID:string 3:topologyKeys:[string] 4:allocatable:@storage.VolumeNodeResources:op"
    ),
    "storage.CSINodeSpec": "1:drivers:[@storage.CSINodeDriver]",
    "storage.CSINodeStatus": "1:storageHealth:[@storage.StorageHealth]:o",
    "storage.CSIStorageCapacity": (
        "1:metadata:@meta.ObjectMeta:o 2:nodeTopology:@meta.LabelSelector:op 3:storageClassName:string"
        " 4:capacity:quantity:op 5:maximumVolumeSize:quantity:op"
    ),
    "storage.StorageClass": (
        "1:metadata:@meta.ObjectMeta:o 2:provisioner:string 3:parameters:{string}:o 4:reclaimPolicy:string:op"
        " 5:mountOptions:[string]:o 6:allowVolumeExpansion:bool:op 7:volumeBindingMode:string:op"
        " 8:allowedTopologies:[@core.TopologySelectorTerm]:o"
    ),
    "storage.StorageHealth": "1:name:string 2:healthConditions:[@storage.StorageHealthCondition]:o",
    "storage.StorageHealthCondition": (
        "1:status:string 2:reason:string 3:message:string:o 4:accessMode:string:op 5:volumeMode:string:op"
        " 6:lastTransitionTime:time:o"
    ),
    "storage.TokenRequest": "1:audience:string 2:expirationSeconds:int64:op",
    "storage.VolumeAttachment": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@storage.VolumeAttachmentSpec"
        " 3:status:@storage.VolumeAttachmentStatus:o"
    ),
    "storage.VolumeAttachmentSource": (
        "1:persistentVolumeName:string:op 2:inlineVolumeSpec:@core.PersistentVolumeSpec:op"
    ),
    "storage.VolumeAttachmentSpec": (
        "1:attacher:string 2:source:@storage.VolumeAttachmentSource 3:nodeName:string"
    ),
    "storage.VolumeAttachmentStatus": (
        "1:attached:bool 2:attachmentMetadata:{string}:o 3:attachError:@storage.VolumeError:op"
        " 4:detachError:@storage.VolumeError:op"
    ),
    "storage.VolumeAttributesClass": (
        "1:metadata:@meta.ObjectMeta:o 2:driverName:string 3:parameters:{string}:o"
    ),
    "storage.VolumeError": "1:time:time:o 2:message:string:o 3:errorCode:int32:op",
    "storage.VolumeNodeResources": "1:count:int32:op",
}

#: (apiVersion, kind) -> message.
KINDS: Final[dict[tuple[str, str], str]] = {
    ("v1", "Pod"): "core.Pod",
    ("v1", "PodTemplate"): "core.PodTemplate",
    ("v1", "ReplicationController"): "core.ReplicationController",
    ("v1", "Service"): "core.Service",
    ("v1", "Endpoints"): "core.Endpoints",
    ("v1", "Node"): "core.Node",
    ("v1", "Binding"): "core.Binding",
    ("v1", "Event"): "core.Event",
    ("v1", "LimitRange"): "core.LimitRange",
    ("v1", "ResourceQuota"): "core.ResourceQuota",
    ("v1", "Namespace"): "core.Namespace",
    ("v1", "Secret"): "core.Secret",
    ("v1", "ServiceAccount"): "core.ServiceAccount",
    ("v1", "PersistentVolume"): "core.PersistentVolume",
    ("v1", "PersistentVolumeClaim"): "core.PersistentVolumeClaim",
    ("v1", "ComponentStatus"): "core.ComponentStatus",
    ("v1", "ConfigMap"): "core.ConfigMap",
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
    ): "admissionregistration.ValidatingWebhookConfiguration",
    (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
    ): "admissionregistration.MutatingWebhookConfiguration",
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingAdmissionPolicy",
    ): "admissionregistration.ValidatingAdmissionPolicy",
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingAdmissionPolicyBinding",
    ): "admissionregistration.ValidatingAdmissionPolicyBinding",
    (
        "admissionregistration.k8s.io/v1",
        "MutatingAdmissionPolicy",
    ): "admissionregistration.MutatingAdmissionPolicy",
    (
        "admissionregistration.k8s.io/v1",
        "MutatingAdmissionPolicyBinding",
    ): "admissionregistration.MutatingAdmissionPolicyBinding",
    ("apps/v1", "Deployment"): "apps.Deployment",
    ("apps/v1", "StatefulSet"): "apps.StatefulSet",
    ("apps/v1", "DaemonSet"): "apps.DaemonSet",
    ("apps/v1", "ReplicaSet"): "apps.ReplicaSet",
    ("apps/v1", "ControllerRevision"): "apps.ControllerRevision",
    ("authentication.k8s.io/v1", "TokenReview"): "authentication.TokenReview",
    ("authentication.k8s.io/v1", "TokenRequest"): "authentication.TokenRequest",
    ("authentication.k8s.io/v1", "SelfSubjectReview"): "authentication.SelfSubjectReview",
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"): "authorization.SelfSubjectRulesReview",
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): "authorization.SelfSubjectAccessReview",
    ("authorization.k8s.io/v1", "SubjectAccessReview"): "authorization.SubjectAccessReview",
    ("authorization.k8s.io/v1", "LocalSubjectAccessReview"): "authorization.LocalSubjectAccessReview",
    ("autoscaling/v1", "HorizontalPodAutoscaler"): "autoscaling.HorizontalPodAutoscaler",
    ("autoscaling/v1", "Scale"): "autoscaling.Scale",
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "autoscalingv2.HorizontalPodAutoscaler",
    ("batch/v1", "Job"): "batch.Job",
    ("batch/v1", "CronJob"): "batch.CronJob",
    ("certificates.k8s.io/v1", "CertificateSigningRequest"): "certificates.CertificateSigningRequest",
    ("certificates.k8s.io/v1", "ClusterTrustBundle"): "certificates.ClusterTrustBundle",
    ("certificates.k8s.io/v1", "PodCertificateRequest"): "certificates.PodCertificateRequest",
    ("coordination.k8s.io/v1", "Lease"): "coordination.Lease",
    ("discovery.k8s.io/v1", "EndpointSlice"): "discovery.EndpointSlice",
    ("events.k8s.io/v1", "Event"): "events.Event",
    ("flowcontrol.apiserver.k8s.io/v1", "FlowSchema"): "flowcontrol.FlowSchema",
    (
        "flowcontrol.apiserver.k8s.io/v1",
        "PriorityLevelConfiguration",
    ): "flowcontrol.PriorityLevelConfiguration",
    ("networking.k8s.io/v1", "Ingress"): "networking.Ingress",
    ("networking.k8s.io/v1", "IngressClass"): "networking.IngressClass",
    ("networking.k8s.io/v1", "NetworkPolicy"): "networking.NetworkPolicy",
    ("networking.k8s.io/v1", "IPAddress"): "networking.IPAddress",
    ("networking.k8s.io/v1", "ServiceCIDR"): "networking.ServiceCIDR",
    ("node.k8s.io/v1", "RuntimeClass"): "node.RuntimeClass",
    ("policy/v1", "PodDisruptionBudget"): "policy.PodDisruptionBudget",
    ("policy/v1", "Eviction"): "policy.Eviction",
    ("rbac.authorization.k8s.io/v1", "Role"): "rbac.Role",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "rbac.RoleBinding",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "rbac.ClusterRole",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "rbac.ClusterRoleBinding",
    ("resource.k8s.io/v1", "DeviceClass"): "resource.DeviceClass",
    ("resource.k8s.io/v1", "DeviceTaintRule"): "resource.DeviceTaintRule",
    ("resource.k8s.io/v1", "ResourceClaim"): "resource.ResourceClaim",
    ("resource.k8s.io/v1", "ResourceClaimTemplate"): "resource.ResourceClaimTemplate",
    ("resource.k8s.io/v1", "ResourceSlice"): "resource.ResourceSlice",
    ("scheduling.k8s.io/v1", "PriorityClass"): "scheduling.PriorityClass",
    ("storage.k8s.io/v1", "StorageClass"): "storage.StorageClass",
    ("storage.k8s.io/v1", "VolumeAttachment"): "storage.VolumeAttachment",
    ("storage.k8s.io/v1", "CSINode"): "storage.CSINode",
    ("storage.k8s.io/v1", "CSIDriver"): "storage.CSIDriver",
    ("storage.k8s.io/v1", "CSIStorageCapacity"): "storage.CSIStorageCapacity",
    ("storage.k8s.io/v1", "VolumeAttributesClass"): "storage.VolumeAttributesClass",
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): "apiext.CustomResourceDefinition",
}

#: Kinds that every group version carries (``metav1.AddToGroupVersion``).
ANY_VERSION_KINDS: Final[dict[str, str]] = {
    "DeleteOptions": "meta.DeleteOptions",
    "Status": "meta.Status",
}

#: Messages whose JSON is a short form of their fields (a custom MarshalJSON, or a
#: named ``[]string`` whose one field is ``items``): message -> form.
SHORT_FORMS: Final[dict[str, str]] = {
    "apiext.JSONSchemaPropsOrArray": "or_array",
    "apiext.JSONSchemaPropsOrBool": "or_bool",
    "apiext.JSONSchemaPropsOrStringArray": "or_string_array",
    "authentication.AttestationValue": "items",
    "authentication.ExtraValue": "items",
    "authorization.ExtraValue": "items",
    "certificates.ExtraValue": "items",
}
