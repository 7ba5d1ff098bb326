{#- How a model name as logged or billed becomes a catalog model: the organisation's hand alias
    (seeds/model_aliases.csv) wins, then genai-prices' matching (int_model_matches), else the
    name stays as written (and is unpriced unless the catalog knows it by that exact id).
    price_provider_id is the catalog provider whose prices apply: the request's own provider,
    or the one genai-prices falls back to (Azure OpenAI -> OpenAI list prices). -#}
{% macro resolved_model_columns(aliases, matches, names) -%}
coalesce({{ aliases }}.model_id, {{ matches }}.model_id, {{ names }}.model_raw) as model_id,
        case
            when {{ aliases }}.model_id is not null then {{ names }}.provider_id
            else coalesce({{ matches }}.price_provider_id, {{ names }}.provider_id)
        end as price_provider_id,
        case
            when {{ aliases }}.model_id is not null then 'org_alias'
            when {{ matches }}.model_id is not null then 'genai_prices:' || {{ matches }}.matched_by
            when {{ names }}.model_raw is not null then 'as_written'
        end as model_resolved_by
{%- endmacro %}
