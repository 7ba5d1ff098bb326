-- One row per FOCUS charge row from any cloud's FOCUS export, typed and in snake_case.
-- Exports of FOCUS 1.0 to 1.3 are accepted: columns a version lacks are null. A billing period
-- delivered again for the same export and account supersedes the earlier delivery at
-- extraction (superseded_by); rows inside a delivery are never deduplicated by content:
-- identical rows are two charges. BillingPeriodStart / End are kept as the export gives them.
-- FOCUS column names are written unquoted: both engines match them case-insensitively (Spark
-- reads "Name" as a string unless in ANSI mode, which dbt-spark turns off).
-- noqa: disable=CP02
with

in_force as (

    {{ rows_in_force(source('focus', 'focus_billing')) }}

),

typed as (

    select
        {{ surrogate_key(['source_file', 'source_row']) }} as charge_row_id,
        cast(BilledCost as decimal(38, 10)) as billed_cost,
        cast(coalesce(EffectiveCost, BilledCost) as decimal(38, 10)) as effective_cost,
        cast(coalesce(ListCost, BilledCost) as decimal(38, 10)) as list_cost,
        cast(coalesce(ContractedCost, BilledCost) as decimal(38, 10)) as contracted_cost,
        BillingAccountId as billing_account_id,
        BillingAccountName as billing_account_name,
        BillingAccountType as billing_account_type,
        upper(BillingCurrency) as billing_currency,
        cast(BillingPeriodStart as {{ timestamp_tz_type() }}) as billing_period_start,
        cast(BillingPeriodEnd as {{ timestamp_tz_type() }}) as billing_period_end,
        ChargeCategory as charge_category,
        nullif(ChargeClass, '') as charge_class,
        ChargeDescription as charge_description,
        ChargeFrequency as charge_frequency,
        cast(ChargePeriodStart as {{ timestamp_tz_type() }}) as charge_period_start,
        cast(ChargePeriodEnd as {{ timestamp_tz_type() }}) as charge_period_end,
        nullif(CommitmentDiscountId, '') as commitment_discount_id,
        nullif(CommitmentDiscountStatus, '') as commitment_discount_status,
        cast(ConsumedQuantity as decimal(38, 10)) as consumed_quantity,
        ConsumedUnit as consumed_unit,
        cast(ContractedUnitPrice as decimal(38, 10)) as contracted_unit_price,
        InvoiceId as invoice_id,
        InvoiceIssuerName as invoice_issuer_name,
        cast(ListUnitPrice as decimal(38, 10)) as list_unit_price,
        PricingCategory as pricing_category,
        cast(PricingQuantity as decimal(38, 10)) as pricing_quantity,
        PricingUnit as pricing_unit,
        -- FOCUS 1.3 renamed ProviderName / PublisherName to ServiceProviderName / HostProviderName
        coalesce(ServiceProviderName, ProviderName) as service_provider_name,
        coalesce(HostProviderName, ProviderName) as host_provider_name,
        RegionId as region_id,
        RegionName as region_name,
        nullif(ResourceId, '') as resource_id,
        nullif(ResourceName, '') as resource_name,
        nullif(ResourceType, '') as resource_type,
        ServiceCategory as service_category,
        ServiceSubcategory as service_subcategory,
        ServiceName as service_name,
        nullif(SkuId, '') as sku_id,
        -- Azure's FOCUS 1.0 export names the meter only in x_SkuMeterName
        coalesce(nullif(SkuMeter, ''), nullif(x_SkuMeterName, '')) as sku_meter,
        nullif(SkuPriceId, '') as sku_price_id,
        SubAccountId as sub_account_id,
        SubAccountName as sub_account_name,
        SubAccountType as sub_account_type,
        {{ json_or_null('Tags') }} as tags,
        x_UsageType as x_usage_type,
        x_ServiceCode as x_service_code,
        x_Operation as x_operation,  -- noqa: AL09
        export_name,
        {{ bill_lineage_columns() }}
    from in_force

),

categorised as (

    select
        *,
        {{ focus_provider_id('service_name', 'service_provider_name') }} as provider_id,
        -- the meter / SKU text a cloud bills a token line under: the meter, else the
        -- description (GCP's FOCUS view: the SKU description)
        {{ cloud_ai_meter_key("coalesce(sku_meter, charge_description)") }} as meter_key,
        {{ token_unit_size('consumed_unit') }} as token_unit_size
    from typed

),

metered as (

    select
        *,
        {{ cloud_ai_meter_columns(
            'provider_id', 'meter_key', 'x_usage_type', 'resource_id', 'token_unit_size'
        ) }}
    from categorised

)

select
    {{ star_except(['model_raw', 'token_unit_size'], 'metered') }},
    -- a model only where the meter's token part was read: an unread meter is never split by
    -- a guessed part (it stays unallocated, with the reason)
    case when token_part is not null then model_raw end as model_raw,
    -- GCP counts tokens as 'count': a token unit only on a cloud AI line
    case when ai_charge_kind = 'tokens' or lower(consumed_unit) like '%token%'
            then consumed_quantity * token_unit_size
    end as token_quantity
from metered
