{#- The token parts a bill line charges, defined once: (part, token columns, list cost columns)
    of the request grain (int_requests_priced, int_usage_by_allocation_key). input is the
    uncached input; output includes reasoning (vendors bill reasoning as output). -#}
{% macro token_parts() -%}
    {{ return([
        ('input', ['uncached_input_tokens'], ['uncached_input_list_cost']),
        ('cache_read', ['cache_read_tokens'], ['cache_read_list_cost']),
        ('cache_write', ['cache_write_tokens'], ['cache_write_list_cost']),
        ('output', ['output_tokens', 'reasoning_tokens'],
            ['output_list_cost', 'reasoning_list_cost']),
    ]) }}
{%- endmacro %}

{#- "a.x + a.y": the sum of a part's columns, each prefixed with `prefix.` when given. -#}
{% macro token_part_sum(columns, prefix=none) -%}
    {%- for column in columns -%}
        {{ prefix ~ '.' if prefix }}{{ column }}{{ ' + ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{#- The tokens (kind='tokens') or list cost (kind='list_cost') of the part `part_column` names,
    from the request-grain columns of `prefix`; `otherwise` for a line of no token part. -#}
{% macro token_part_case(part_column, kind, prefix=none, otherwise='null') -%}
    case {{ part_column }}
        {%- for part, tokens, list_costs in token_parts() %}
            when '{{ part }}'
                then {{ token_part_sum(tokens if kind == 'tokens' else list_costs, prefix) }}
        {%- endfor %}
            else {{ otherwise }}
        end
{%- endmacro %}

{#- The token columns of one part of token_parts() added up ("output_tokens + reasoning_tokens"),
    or with no part given, of every part: a request's total tokens. -#}
{% macro part_tokens(part=none) -%}
    {%- set columns = [] -%}
    {%- for name, tokens, list_costs in token_parts() if part is none or name == part -%}
        {%- do columns.extend(tokens) -%}
    {%- endfor -%}
    {%- if not columns -%}
        {{ exceptions.raise_compiler_error("part_tokens: no token part " ~ part) }}
    {%- endif -%}
    {{ token_part_sum(columns) }}
{%- endmacro %}

{#- The disjoint parts of a log that counts cache reads and writes inside its input tokens and
    reasoning inside its output tokens (LiteLLM, OpenTelemetry), from the columns
    input_tokens_reported, output_tokens_reported, cache_read_tokens, cache_write_tokens and
    reasoning_tokens: the parts then add up to input + output as the log reports them. -#}
{% macro disjoint_log_token_parts() -%}
    input_tokens_reported - cache_read_tokens - cache_write_tokens as uncached_input_tokens,
        output_tokens_reported - reasoning_tokens as output_tokens
{%- endmacro %}
