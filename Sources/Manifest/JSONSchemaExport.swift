import JSON

/// Turns the schema into JSON Schema (draft-07, which yaml-language-server, VS Code and check-jsonschema
/// all read). Keys starting with `x-` are allowed everywhere, for users' own annotations.
extension Schema {
    public static let schemaID = "https://slipway.dev/schemas/slipway.schema.json"

    public func jsonSchema() -> JSONValue {
        var o = node()
        var top = JSONObject()
        top["$schema"] = "http://json-schema.org/draft-07/schema#"
        top["$id"] = .string(Schema.schemaID)
        for e in o.entries { top[e.key] = e.value }
        o = top
        return .object(o)
    }

    func node() -> JSONObject {
        var o = JSONObject()
        if let title { o["title"] = .string(title) }
        o["description"] = .string(description)
        o["markdownDescription"] = .string(description)
        var types: [String] = []
        switch kind {
        case .object(let props, let exclusive, let requireOneOf):
            types = ["object"]
            var p = JSONObject()
            for prop in props { p[prop.name] = .object(prop.schema.node()) }
            o["properties"] = .object(p)
            let req = props.filter(\.required).map { JSONValue.string($0.name) }
            if !req.isEmpty { o["required"] = .array(req) }
            o["patternProperties"] = ["^x-": [:]]
            o["additionalProperties"] = false
            var all: [JSONValue] = []
            for group in exclusive {
                // At most one of the group: no two of them together.
                var pairs: [JSONValue] = []
                for i in group.indices { for j in group.indices where j > i { pairs.append(["required": [.string(group[i]), .string(group[j])]]) } }
                all.append(["not": ["anyOf": .array(pairs)]])
            }
            if let one = requireOneOf {
                all.append(["anyOf": .array(one.map { ["required": [.string($0)]] })])
            }
            if !all.isEmpty { o["allOf"] = .array(all) }
        case .map(let values, let keyPattern, _, let minEntries):
            types = ["object"]
            o["propertyNames"] = ["pattern": .string(keyPattern)]
            if !knownKeys.isEmpty {
                // Known names get their descriptions (hover in other editors); others still match additionalProperties.
                var props = JSONObject()
                for k in knownKeys {
                    var member = values.node()
                    member["description"] = .string(k.description)
                    props[k.value] = .object(member)
                }
                o["properties"] = .object(props)
            }
            o["additionalProperties"] = .object(values.node())
            if minEntries > 0 { o["minProperties"] = .int(minEntries) }
        case .array(let items, let minItems, let maxItems):
            types = ["array"]
            o["items"] = .object(items.node())
            if minItems > 0 { o["minItems"] = .int(minItems) }
            if let maxItems { o["maxItems"] = .int(maxItems) }
        case .string(let rule):
            types = ["string"]
            if rule.format == .granularity || rule.format == .runtime {
                // Open-ended strings: the values are suggestions, the pattern is the rule.
                if !rule.values.isEmpty { o["examples"] = .array(rule.values.map { .string($0.value) }) }
            } else if !rule.values.isEmpty {
                o["enum"] = .array(rule.values.map { .string($0.value) })
                o["markdownEnumDescriptions"] = .array(rule.values.map { .string($0.description) })
            }
            if let pattern = rule.pattern { o["pattern"] = .string(pattern) }
            if rule.minLength > 0 { o["minLength"] = .int(rule.minLength) }
        case .integer(let min, let max):
            types = ["integer"]
            if let min { o["minimum"] = .int(min) }
            if let max { o["maximum"] = .int(max) }
        case .number(let min, let max, let exclusiveMax, let exclusiveMin):
            types = ["number"]
            if let min { o[exclusiveMin ? "exclusiveMinimum" : "minimum"] = .double(min) }
            if let max { o[exclusiveMax ? "exclusiveMaximum" : "maximum"] = .double(max) }
        case .boolean:
            types = ["boolean"]
        case .anyOf(let options):
            o["anyOf"] = .array(options.map { .object($0.node()) })
        }
        if nullable { types.append("null") }
        if types.count == 1 { o["type"] = .string(types[0]) } else if !types.isEmpty { o["type"] = .array(types.map { .string($0) }) }
        if let defaultValue { o["default"] = defaultValue }
        if !examples.isEmpty, o["examples"] == nil { o["examples"] = .array(examples) }
        // Keep `type` near the top for readers of the generated file.
        return reordered(o, first: ["title", "description", "markdownDescription", "type"])
    }

    private func reordered(_ o: JSONObject, first: [String]) -> JSONObject {
        var out = JSONObject()
        for k in first { if let v = o[k] { out[k] = v } }
        for e in o.entries where !first.contains(e.key) { out[e.key] = e.value }
        return out
    }
}
