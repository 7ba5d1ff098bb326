-- FOCUS rule (the "MUST NOT be null" requirement of every column FOCUS makes Mandatory and
-- non-nullable, plus the non-nullable Recommended/Conditional columns the fact fills):
-- BilledCost, BillingAccountId, BillingCurrency, BillingPeriodStart/End, ChargeCategory,
-- ChargePeriodStart/End, ContractedCost, EffectiveCost, InvoiceIssuerName, ListCost,
-- ServiceCategory, ServiceName, ServiceProviderName (1.3) and ProviderName / PublisherName
-- (1.2); BillingAccountType, ChargeFrequency, ServiceSubcategory. One row per null cell.
{%- set not_null_columns = [
    'billed_cost', 'billing_account_id', 'billing_currency', 'billing_period_start',
    'billing_period_end', 'charge_category', 'charge_period_start', 'charge_period_end',
    'contracted_cost', 'effective_cost', 'invoice_issuer_name', 'list_cost',
    'service_category', 'service_name', 'service_provider_name', 'provider_name',
    'publisher_name', 'billing_account_type', 'charge_frequency', 'service_subcategory'
] %}
{% for column in not_null_columns %}
    select
        allocated_cost_id,
        charge_id,
        provider_id,
        '{{ column }}' as null_column
    from {{ ref('fct_allocated_costs') }}
    where {{ column }} is null
    {% if not loop.last %}union all{% endif %}
{% endfor %}
