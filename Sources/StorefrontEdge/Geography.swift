/// Where a shopper is, as far as routing goes: a continent. A CDN sends the shopper's country (ISO 3166-1
/// alpha-2) in `X-Client-Geo`, or their continent in `X-Client-Continent`; countries map to their continent
/// here.
public enum Continent: String, CaseIterable, Sendable, Comparable {
    case northAmerica = "NA"
    case southAmerica = "SA"
    case europe = "EU"
    case africa = "AF"
    case asia = "AS"
    case oceania = "OC"

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

public enum Geography {
    /// The continent of a country code, in any case. Continent codes that are no country's code (EU, OC) are
    /// taken too; NA, SA, AF and AS are countries here (Namibia, Saudi Arabia, Afghanistan, American Samoa),
    /// as ISO 3166 has them: a continent comes in `X-Client-Continent`.
    public static func continent(ofCountry code: String) -> Continent? {
        let upper = code.uppercased()
        return countries[upper] ?? (upper == "EU" || upper == "OC" ? Continent(rawValue: upper) : nil)
    }

    /// Every ISO 3166-1 alpha-2 code with its continent (Antarctica's stations and the Caribbean go where their
    /// traffic is served from).
    public static let countries: [String: Continent] = {
        let byContinent: [Continent: String] = [
            .northAmerica: """
            AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN HT JM KN KY LC MF MQ MS MX NI PA PM PR SV \
            SX TC TT UM US VC VG VI
            """,
            .southAmerica: "AR BO BR CL CO EC FK GF GY PE PY SR UY VE GS",
            .europe: """
            AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI LT LU LV MC \
            MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK
            """,
            .africa: """
            AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS LY MA MG ML MR MU MW \
            MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG YT ZA ZM ZW
            """,
            .asia: """
            AE AF AM AZ BD BH BN BT CC CN CX GE HK ID IL IN IO IQ IR JO JP KG KH KP KR KW KZ LA LB LK MM MN MO MV \
            MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR TW UZ VN YE
            """,
            .oceania: "AQ AS AU BV CK FJ FM GU HM KI MH MP NC NF NR NU NZ PF PG PN PW SB TF TK TO TV VU WF WS",
        ]
        var countries: [String: Continent] = [:]
        for (continent, codes) in byContinent {
            for code in codes.split(separator: " ") { countries[String(code)] = continent }
        }
        return countries
    }()
}
