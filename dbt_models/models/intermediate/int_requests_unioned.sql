-- One row per LLM request from any log source, with its model normalised and its owner keys
-- resolved through the org seeds. What cannot be mapped is 'unassigned', never dropped.
{%- set columns = [
    'request_id', 'source_system', 'requested_at', 'request_date', 'provider_id', 'model_raw',
    'call_type', 'api_key_hash', 'litellm_team_id', 'team_alias', 'service_name',
    'sub_account_id'] + request_owner_keys() | map(attribute='key') | list + ['is_success',
    'is_proxy_cache_hit', 'is_batch', 'input_tokens_reported', 'output_tokens_reported',
    'uncached_input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'output_tokens',
    'reasoning_tokens', 'end_user_pseudonym', 'source_file', 'source_row'
] %}
-- Incremental by request day (macros/incremental_days.sql): the days its staging parents
-- rebuilt; every day when the org seeds, aliases or model matches change.
{{ config(
    materialized=incremental_days_materialization(),
    pre_hook="{{ incremental_plan('request_date',
        'select request_date from ' ~ ref('stg_litellm__requests')
            ~ ' union select request_date from ' ~ ref('stg_otel__genai_spans'),
        incremental_fingerprint([
            ref('model_aliases'), ref('int_model_matches'), ref('org_teams'),
            ref('org_api_keys'), ref('org_services'), ref('org_provider_accounts'),
            ref('environment_names')]),
        parents=['stg_litellm__requests', 'stg_otel__genai_spans']) }}",
    post_hook="{{ incremental_done('request_date') }}",
) }}
with

litellm_requests as (

    select {{ columns | join(', ') }} from {{ ref('stg_litellm__requests') }}
    where {{ incremental_days_filter('request_date') }}

),

otel_spans as (

    select {{ columns | join(', ') }} from {{ ref('stg_otel__genai_spans') }}
    where {{ incremental_days_filter('request_date') }}

),

teams as (

    select * from {{ ref('org_teams') }}

),

api_keys as (

    select * from {{ ref('org_api_keys') }}

),

services as (

    select * from {{ ref('org_services') }}

),

provider_accounts as (

    select * from {{ ref('org_provider_accounts') }}

),

unioned as (

    select * from litellm_requests
    union all
    select * from otel_spans

),

models_normalised as (

    -- the organisation's hand alias names the model, else the name as logged; genai-prices'
    -- matching then resolves that name to the catalog (see macros/model_resolution.sql)
    select
        unioned.*,
        {{ resolved_model_columns('model_aliases', 'model_matches', 'unioned') }}
    from unioned
    {{ resolved_model_joins('unioned') }}

),

owners_resolved as (

    select
        models_normalised.*,
        coalesce(
            teams_by_gateway_id.team_id,
            teams_by_alias.team_id,
            api_keys.team_id,
            services.team_id,
            'unassigned'
        ) as team_id,
        -- the other owner keys as tagged (macros/owner_keys.sql request_owner_keys()): through
        -- their names seed, else the service's default; what none gives is 'unassigned'
        {% for owner in request_owner_keys() -%}
            {{ request_owner_key_value(owner, 'models_normalised', 'services') }}
                as {{ owner.key }}_key,
        {% endfor -%}
        case
            when teams_by_gateway_id.team_id is not null then 'gateway_team_id'
            when teams_by_alias.team_id is not null then 'gateway_team_alias'
            when api_keys.team_id is not null then 'api_key'
            when services.team_id is not null then 'service_name'
            else 'none'
        end as team_resolved_by
    from models_normalised
    left join teams as teams_by_gateway_id
        on models_normalised.litellm_team_id = teams_by_gateway_id.litellm_team_id
    left join teams as teams_by_alias
        on models_normalised.team_alias = teams_by_alias.team_id
    left join api_keys
        on models_normalised.api_key_hash = api_keys.api_key_hash
    left join services
        on models_normalised.service_name = services.service_name
    {% for owner in request_owner_keys() if owner.names_seed -%}
        left join {{ ref(owner.names_seed) }} as {{ owner.key }}_names
            on lower(models_normalised.{{ owner.key }}) = {{ owner.key }}_names.{{ owner.key }}_name
    {% endfor %}

),

accounts_resolved as (

    -- Gateway traffic bills to the team's own project or workspace at the provider, or to the
    -- provider's default one when the team has none; instrumented services report their
    -- cloud account themselves.
    select
        owners_resolved.*,
        teams.cost_center_id,
        coalesce(
            owners_resolved.sub_account_id,
            team_accounts.sub_account_id,
            default_accounts.sub_account_id
        ) as resolved_sub_account_id
    from owners_resolved
    left join teams
        on owners_resolved.team_id = teams.team_id
    left join provider_accounts as team_accounts
        on owners_resolved.sub_account_id is null
        and owners_resolved.provider_id = team_accounts.provider_id
        and owners_resolved.team_id = team_accounts.team_id
    left join provider_accounts as default_accounts
        on owners_resolved.sub_account_id is null
        and owners_resolved.provider_id = default_accounts.provider_id
        and default_accounts.routes_unmapped_traffic

)

select
    accounts_resolved.source_system || ':' || accounts_resolved.request_id as request_uid,
    accounts_resolved.request_id,
    accounts_resolved.source_system,
    accounts_resolved.requested_at,
    accounts_resolved.request_date,
    accounts_resolved.provider_id,
    billing_accounts.billing_account_id,
    accounts_resolved.resolved_sub_account_id as sub_account_id,
    accounts_resolved.model_raw,
    accounts_resolved.model_id,
    accounts_resolved.price_provider_id,
    accounts_resolved.model_resolved_by,
    accounts_resolved.call_type,
    accounts_resolved.team_id,
    coalesce(accounts_resolved.cost_center_id, 'unassigned') as cost_center_id,
    {% for owner in request_owner_keys() -%}
        accounts_resolved.{{ owner.key }}_key as {{ owner.key }},
    {% endfor -%}
    accounts_resolved.team_resolved_by,
    accounts_resolved.is_success,
    accounts_resolved.is_proxy_cache_hit,
    accounts_resolved.is_batch,
    accounts_resolved.input_tokens_reported,
    accounts_resolved.output_tokens_reported,
    accounts_resolved.uncached_input_tokens,
    accounts_resolved.cache_read_tokens,
    accounts_resolved.cache_write_tokens,
    accounts_resolved.output_tokens,
    accounts_resolved.reasoning_tokens,
    accounts_resolved.end_user_pseudonym,
    accounts_resolved.source_file,
    accounts_resolved.source_row
from accounts_resolved
left join {{ ref('org_provider_accounts') }} as billing_accounts
    on accounts_resolved.provider_id = billing_accounts.provider_id
    and accounts_resolved.resolved_sub_account_id = billing_accounts.sub_account_id
