using Microsoft.CodeAnalysis;

namespace ModelSecurity.Kernel.Analysis;

/// <summary>How symbols are written in completions and inspection: C# signatures, short type names, no script class names.</summary>
internal static class SymbolSignatures
{
    private static readonly SymbolDisplayFormat Base = new(
        globalNamespaceStyle: SymbolDisplayGlobalNamespaceStyle.Omitted,
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypes,
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters | SymbolDisplayGenericsOptions.IncludeVariance,
        memberOptions: SymbolDisplayMemberOptions.IncludeType | SymbolDisplayMemberOptions.IncludeParameters
                       | SymbolDisplayMemberOptions.IncludeContainingType | SymbolDisplayMemberOptions.IncludeRef
                       | SymbolDisplayMemberOptions.IncludeConstantValue,
        kindOptions: SymbolDisplayKindOptions.IncludeTypeKeyword,
        parameterOptions: SymbolDisplayParameterOptions.IncludeType | SymbolDisplayParameterOptions.IncludeName
                          | SymbolDisplayParameterOptions.IncludeDefaultValue | SymbolDisplayParameterOptions.IncludeParamsRefOut
                          | SymbolDisplayParameterOptions.IncludeExtensionThis,
        propertyStyle: SymbolDisplayPropertyStyle.ShowReadWriteDescriptor,
        localOptions: SymbolDisplayLocalOptions.IncludeType | SymbolDisplayLocalOptions.IncludeRef,
        miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers
                              | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier
                              | SymbolDisplayMiscellaneousOptions.UseErrorTypeSymbolName);

    private static readonly SymbolDisplayFormat WithoutContainingType =
        Base.RemoveMemberOptions(SymbolDisplayMemberOptions.IncludeContainingType);

    /// <summary>The format for <paramref name="symbol"/>: members of a cell (script class) are shown without "Submission#N.".</summary>
    public static SymbolDisplayFormat Format(ISymbol symbol) =>
        symbol.ContainingType is { IsScriptClass: true } ? WithoutContainingType : Base;
}
