/**
 * ISO 3166-1 countries, for Specter's CountryCode (alpha-2, max 2): App4Sales users type a code, an
 * alpha-3 code or a country name, in English or their own language.
 *
 * Plain data and plain string functions (no zod, no Intl): the mapping runs inside the workflow, so
 * this module is in the workflow bundle and must map the same way on every replay. The local names
 * were taken once from CLDR (Node 20's ICU 78) and are frozen here: every country's name in Swedish,
 * Norwegian (bokmål, nynorsk), Danish, Finnish, Icelandic and Faroese, and the European countries'
 * names in the other European languages, endonyms included. A name that two countries share in
 * different languages (Norwegian "Kongo") is left out rather than guessed.
 */

/** `alpha-2 alpha-3 English short name (ISO 3166-1)|other English names`, one country a line. */
const ISO_3166_1 = `
AF AFG Afghanistan
AX ALA Åland Islands|Aland
AL ALB Albania
DZ DZA Algeria
AS ASM American Samoa
AD AND Andorra
AO AGO Angola
AI AIA Anguilla
AQ ATA Antarctica
AG ATG Antigua and Barbuda
AR ARG Argentina
AM ARM Armenia
AW ABW Aruba
AU AUS Australia
AT AUT Austria
AZ AZE Azerbaijan
BS BHS Bahamas
BH BHR Bahrain
BD BGD Bangladesh
BB BRB Barbados
BY BLR Belarus
BE BEL Belgium
BZ BLZ Belize
BJ BEN Benin
BM BMU Bermuda
BT BTN Bhutan
BO BOL Bolivia (Plurinational State of)|Bolivia
BQ BES Bonaire, Sint Eustatius and Saba|Caribbean Netherlands
BA BIH Bosnia and Herzegovina|Bosnia-Herzegovina|Bosnia
BW BWA Botswana
BV BVT Bouvet Island
BR BRA Brazil
IO IOT British Indian Ocean Territory
BN BRN Brunei Darussalam|Brunei
BG BGR Bulgaria
BF BFA Burkina Faso
BI BDI Burundi
CV CPV Cabo Verde|Cape Verde
KH KHM Cambodia
CM CMR Cameroon
CA CAN Canada
KY CYM Cayman Islands
CF CAF Central African Republic
TD TCD Chad
CL CHL Chile
CN CHN China|People's Republic of China
CX CXR Christmas Island
CC CCK Cocos (Keeling) Islands|Cocos Islands|Keeling Islands
CO COL Colombia
KM COM Comoros
CG COG Congo|Republic of the Congo|Congo-Brazzaville
CD COD Congo, Democratic Republic of the|Democratic Republic of the Congo|DR Congo|DRC|Congo-Kinshasa
CK COK Cook Islands
CR CRI Costa Rica
CI CIV Côte d'Ivoire|Ivory Coast
HR HRV Croatia
CU CUB Cuba
CW CUW Curaçao
CY CYP Cyprus
CZ CZE Czechia|Czech Republic
DK DNK Denmark
DJ DJI Djibouti
DM DMA Dominica
DO DOM Dominican Republic
EC ECU Ecuador
EG EGY Egypt
SV SLV El Salvador
GQ GNQ Equatorial Guinea
ER ERI Eritrea
EE EST Estonia
SZ SWZ Eswatini|Swaziland
ET ETH Ethiopia
FK FLK Falkland Islands (Malvinas)|Falkland Islands
FO FRO Faroe Islands|Faroes
FJ FJI Fiji
FI FIN Finland
FR FRA France
GF GUF French Guiana
PF PYF French Polynesia
TF ATF French Southern Territories
GA GAB Gabon
GM GMB Gambia
GE GEO Georgia
DE DEU Germany
GH GHA Ghana
GI GIB Gibraltar
GR GRC Greece
GL GRL Greenland
GD GRD Grenada
GP GLP Guadeloupe
GU GUM Guam
GT GTM Guatemala
GG GGY Guernsey
GN GIN Guinea
GW GNB Guinea-Bissau
GY GUY Guyana
HT HTI Haiti
HM HMD Heard Island and McDonald Islands
VA VAT Holy See|Vatican City|Vatican
HN HND Honduras
HK HKG Hong Kong
HU HUN Hungary
IS ISL Iceland
IN IND India
ID IDN Indonesia
IR IRN Iran (Islamic Republic of)|Iran
IQ IRQ Iraq
IE IRL Ireland
IM IMN Isle of Man
IL ISR Israel
IT ITA Italy
JM JAM Jamaica
JP JPN Japan
JE JEY Jersey
JO JOR Jordan
KZ KAZ Kazakhstan
KE KEN Kenya
KI KIR Kiribati
KP PRK Korea (Democratic People's Republic of)|Democratic People's Republic of Korea|North Korea
KR KOR Korea, Republic of|Republic of Korea|South Korea
KW KWT Kuwait
KG KGZ Kyrgyzstan
LA LAO Lao People's Democratic Republic|Laos
LV LVA Latvia
LB LBN Lebanon
LS LSO Lesotho
LR LBR Liberia
LY LBY Libya
LI LIE Liechtenstein
LT LTU Lithuania
LU LUX Luxembourg
MO MAC Macao|Macau
MG MDG Madagascar
MW MWI Malawi
MY MYS Malaysia
MV MDV Maldives
ML MLI Mali
MT MLT Malta
MH MHL Marshall Islands
MQ MTQ Martinique
MR MRT Mauritania
MU MUS Mauritius
YT MYT Mayotte
MX MEX Mexico
FM FSM Micronesia (Federated States of)|Micronesia
MD MDA Moldova, Republic of|Republic of Moldova|Moldova
MC MCO Monaco
MN MNG Mongolia
ME MNE Montenegro
MS MSR Montserrat
MA MAR Morocco
MZ MOZ Mozambique
MM MMR Myanmar|Burma
NA NAM Namibia
NR NRU Nauru
NP NPL Nepal
NL NLD Netherlands|Netherlands (Kingdom of the)|Holland
NC NCL New Caledonia
NZ NZL New Zealand
NI NIC Nicaragua
NE NER Niger
NG NGA Nigeria
NU NIU Niue
NF NFK Norfolk Island
MK MKD North Macedonia|Macedonia
MP MNP Northern Mariana Islands
NO NOR Norway
OM OMN Oman
PK PAK Pakistan
PW PLW Palau
PS PSE Palestine, State of|State of Palestine|Palestine
PA PAN Panama
PG PNG Papua New Guinea
PY PRY Paraguay
PE PER Peru
PH PHL Philippines
PN PCN Pitcairn|Pitcairn Islands
PL POL Poland
PT PRT Portugal
PR PRI Puerto Rico
QA QAT Qatar
RE REU Réunion
RO ROU Romania
RU RUS Russian Federation|Russia
RW RWA Rwanda
BL BLM Saint Barthélemy
SH SHN Saint Helena, Ascension and Tristan da Cunha|Saint Helena
KN KNA Saint Kitts and Nevis
LC LCA Saint Lucia
MF MAF Saint Martin (French part)|Saint Martin
PM SPM Saint Pierre and Miquelon
VC VCT Saint Vincent and the Grenadines
WS WSM Samoa
SM SMR San Marino
ST STP Sao Tome and Principe
SA SAU Saudi Arabia
SN SEN Senegal
RS SRB Serbia
SC SYC Seychelles
SL SLE Sierra Leone
SG SGP Singapore
SX SXM Sint Maarten (Dutch part)|Sint Maarten
SK SVK Slovakia|Slovak Republic
SI SVN Slovenia
SB SLB Solomon Islands
SO SOM Somalia
ZA ZAF South Africa
GS SGS South Georgia and the South Sandwich Islands
SS SSD South Sudan
ES ESP Spain
LK LKA Sri Lanka
SD SDN Sudan
SR SUR Suriname
SJ SJM Svalbard and Jan Mayen
SE SWE Sweden
CH CHE Switzerland
SY SYR Syrian Arab Republic|Syria
TW TWN Taiwan, Province of China|Taiwan
TJ TJK Tajikistan
TZ TZA Tanzania, United Republic of|United Republic of Tanzania|Tanzania
TH THA Thailand
TL TLS Timor-Leste|East Timor
TG TGO Togo
TK TKL Tokelau
TO TON Tonga
TT TTO Trinidad and Tobago
TN TUN Tunisia
TR TUR Türkiye|Turkey
TM TKM Turkmenistan
TC TCA Turks and Caicos Islands
TV TUV Tuvalu
UG UGA Uganda
UA UKR Ukraine
AE ARE United Arab Emirates|UAE
GB GBR United Kingdom of Great Britain and Northern Ireland|United Kingdom|Great Britain|Britain|England|Scotland|Wales|Northern Ireland
US USA United States of America|United States|America
UM UMI United States Minor Outlying Islands
UY URY Uruguay
UZ UZB Uzbekistan
VU VUT Vanuatu
VE VEN Venezuela (Bolivarian Republic of)|Venezuela
VN VNM Viet Nam|Vietnam
VG VGB Virgin Islands (British)|British Virgin Islands
VI VIR Virgin Islands (U.S.)|United States Virgin Islands|US Virgin Islands
WF WLF Wallis and Futuna
EH ESH Western Sahara
YE YEM Yemen
ZM ZMB Zambia
ZW ZWE Zimbabwe
`;

/** Names in other languages, by alpha-2 code (`|`-separated). */
const LOCAL_NAMES: Readonly<Record<string, string>> = {
  AD: 'Andorre|Andora|Ανδόρα|Андора|Андорра',
  AE: 'Förenade Arabemiraten|De forente arabiske emirater|Dei sameinte arabiske emirata|De Forenede Arabiske Emirater|Arabiemiirikunnat|Sameinuðu arabísku furstadæmin|Sameindu Emirríkini',
  AF: 'Afganistan',
  AG: 'Antigua och Barbuda|Antigua og Barbuda|Antigua ja Barbuda|Antígva og Barbúda',
  AI: 'Angvilla',
  AL: 'Albanien|Albanië|Albánsko|Albanija|Albaania|Αλβανία|Албания|an Albáin|l-Albanija|Shqipëri|Албанија|Албанія|Arnavutluk',
  AM: 'Armenien',
  AQ: 'Antarktis|Suðurskautslandið',
  AR: 'Argentiina',
  AS: 'Amerikanska Samoa|Amerikansk Samoa|Amerikan Samoa|Bandaríska Samóa',
  AT: 'Österreich|Österrike|Austerrike|Østrig|Itävalta|Austurríki|Eysturríki|Oostenrijk|Autriche|Rakousko|Rakúsko|Ausztria|Austrija|Avstrija|Αυστρία|Австрия|an Ostair|l-Awstrija|Éisträich|Austri|Австрија|Австрія|Аўстрыя|Avusturya|Аустрија',
  AU: 'Australien|Ástralía|Avstralia',
  AX: 'Ahvenanmaa|Álandseyjar|Ålandinseln|Îles Åland|Isole Åland|Islas Aland|Ilhas Aland|Wyspy Alandzkie|Ålandy|Åland-szigetek|Insulele Åland|Ålandski otoci|Alandski otoki|Olandska Ostrva|Ahvenamaa|Olandes salas|Alandų Salos|Νήσοι Όλαντ|Оландски острови|Oileáin Åland|il-Gżejjer Aland|Ålandinselen|Illes Åland|Ishujt Alandë|Аландські Острови|Аландские о-ва|Аландскія астравы|Åland Adaları|Оландска Острва',
  AZ: 'Azerbajdzjan|Aserbajdsjan|Azerbaidžan|Aserbaídsjan|Aserbadjan',
  BA: 'Bosnien och Hercegovina|Bosnia-Hercegovina|Bosnien-Hercegovina|Bosnia ja Hertsegovina|Bosnía og Hersegóvína|Bosnia-Hersegovina|Bosnien und Herzegowina|Bosnië en Herzegovina|Bosnie-Herzégovine|Bosnia ed Erzegovina|Bosnia y Herzegovina|Bósnia e Herzegovina|Bośnia i Hercegowina|Bosna a Hercegovina|Bosznia-Hercegovina|Bosnia și Herțegovina|Bosna i Hercegovina|Bosna in Hercegovina|Bosnia ja Hertsegoviina|Bosnija un Hercegovina|Bosnija ir Hercegovina|Βοσνία - Ερζεγοβίνη|Босна и Херцеговина|an Bhoisnia agus an Heirseagaivéin|il-Bożnija-Ħerzegovina|Bosnien an Herzegowina|Bòsnia i Hercegovina|Bosnjë-Hercegovinë|Боснія і Герцеговина|Босния и Герцеговина|Боснія і Герцагавіна|Bosna-Hersek',
  BD: 'Bangladess|Bangladesj',
  BE: 'Belgique|België|Belgien|Belgia|Belgio|Bélgica|Belgicko|Belgija|Βέλγιο|Белгия|an Bheilg|il-Belġju|Belsch|Belgjikë|Белгија|Бельгія|Бельгия|Belçika',
  BG: 'Bulgarien|Bulgarije|Bulgarie|Bulharsko|Bugarska|Bolgarija|Bulgaaria|Bulgārija|Βουλγαρία|България|an Bhulgáir|il-Bulgarija|Bullgari|Бугарија|Болгарія|Болгария|Балгарыя|Bulgaristan|Бугарска',
  BH: 'Barein',
  BL: 'S:t Barthélemy|Sankti Bartólómeusareyjar',
  BM: 'Bermúdaeyjar',
  BQ: 'Karibiska Nederländerna|Karibisk Nederland|De tidligere Nederlandske Antiller|Karibian Alankomaat|Karíbahafshluti Hollands|Niðurlonds Karibia',
  BR: 'Brasilien|Brasil|Brasilia',
  BS: 'Bahama|Bahamaeyjar|Bahamaoyggjar',
  BT: 'Bútan',
  BV: 'Bouvetön|Bouvetøya|Bouvetøen|Bouvet’nsaari|Bouveteyja|Bouvetoyggj',
  BW: 'Botsvana',
  BY: 'Valko-Venäjä|Hvíta-Rússland|Biélorussie|Bielorussia|Bielorrusia|Bielorrússia|Białoruś|Bělorusko|Bielorusko|Belarusz|Bjelorusija|Belorusija|Valgevene|Baltkrievija|Baltarusija|Λευκορωσία|Беларус|an Bhealarúis|il-Belarussja|Wäissrussland|Bjellorusi|Белорусија|Білорусь|Беларусь',
  BZ: 'Belís',
  CA: 'Kanada',
  CC: 'Kokosöarna|Kokosøyene|Kokosøyane|Cocosøerne|Kookossaaret (Keelingsaaret)|Kókoseyjar (Keeling)|Kokosoyggjar',
  CD: 'Kongo-Kinshasa|Kongon demokraattinen tasavalta|Kongo, Dem. Lýðveldið',
  CF: 'Centralafrikanska republiken|Den sentralafrikanske republikk|Den sentralafrikanske republikken|Den Centralafrikanske Republik|Keski-Afrikan tasavalta|Mið-Afríkulýðveldið|Miðafrikalýðveldið',
  CG: 'Kongo-Brazzaville|Kongon tasavalta',
  CH: 'Helvetia|Svizra|Schweiz|Suisse|Svizzera|Sveits|Sveitsi|Sviss|Sveis|Zwitserland|Suiza|Suíça|Szwajcaria|Švýcarsko|Švajčiarsko|Svájc|Elveția|Švicarska|Švica|Švajcarska|Šveice|Šveicarija|Ελβετία|Швейцария|an Eilvéis|l-Iżvizzera|Schwäiz|Suïssa|Zvicër|Швајцарија|Швейцарія|Швейцарыя|İsviçre|Швајцарска',
  CI: 'Elfenbenskusten|Elfenbenskysten|Elfenbeinskysten|Norsunluurannikko|Fílabeinsströndin',
  CK: 'Cooköarna|Cookøyene|Cookøyane|Cookøerne|Cookinsaaret|Cooks-eyjar|Cooksoyggjar',
  CL: 'Síle|Kili',
  CM: 'Kamerun|Cameroun',
  CN: 'Kina|Kiina',
  CO: 'Kolumbia|Kolombia',
  CR: 'Kostaríka',
  CU: 'Kuba|Kuuba',
  CV: 'Kap Verde|Kapp Verde|Grænhöfðaeyjar|Grønhøvdaoyggjar',
  CX: 'Julön|Christmasøya|Juleøen|Joulusaari|Jólaey|Jólaoyggjin',
  CY: 'Cypern|Kypros|Kýpur|Zypern|Chypre|Cipro|Chipre|Cypr|Kypr|Ciprus|Cipru|Cipar|Ciper|Kipar|Küpros|Kipra|Kipras|Κύπρος|Кипър|an Chipir|Xipre|Qipro|Кипар|Кіпр|Кипр|Kıbrıs',
  CZ: 'Česká republika|Česko|Tjeckien|Tsjekkia|Tjekkiet|Tšekki|Tékkland|Kekkia|Tschechien|Tsjechië|Tchéquie|Cechia|Chequia|Tchéquia|Czechy|Csehország|Cehia|Češka|Tšehhi|Čehija|Čekija|Τσεχία|Чехия|an tSeicia|ir-Repubblika Ċeka|Txèquia|Çeki|Чешка|Чехія|Чэхія|Çekya',
  DE: 'Bundesrepublik Deutschland|BRD|Tyskland|Saksa|Þýskaland|Deutschland|Duitsland|Allemagne|Germania|Alemania|Alemanha|Niemcy|Německo|Németország|Njemačka|Nemčija|Nemačka|Saksamaa|Vācija|Vokietija|Γερμανία|Германия|an Ghearmáin|il-Ġermanja|Däitschland|Alemanya|Gjermani|Германија|Німеччина|Германія|Almanya|Немачка',
  DJ: 'Djíbútí',
  DK: 'Kongeriget Danmark|Danmark|Tanska|Danmörk|Dänemark|Denemarken|Danimarca|Dinamarca|Dania|Dánsko|Danemarca|Danska|Taani|Dānija|Δανία|Дания|an Danmhairg|id-Danimarka|Danimarkë|Данска|Данія|Danimarka',
  DM: 'Dóminíka',
  DO: 'Dominikanska republiken|Den dominikanske republikk|Den dominikanske republikken|Den Dominikanske Republik|Dominikaaninen tasavalta|Dóminíska lýðveldið|Dominikalýðveldið',
  DZ: 'Algeriet|Algerie|Alsír',
  EC: 'Ekvador',
  EE: 'Estland|Viro|Eistland|Estonie|Estonsko|Észtország|Estonija|Eesti|Igaunija|Estija|Εσθονία|Естония|an Eastóin|l-Estonja|Estoni|Естонија|Естонія|Эстония|Эстонія|Estonya',
  EG: 'Egypten|Egypti|Egyptaland',
  EH: 'Västsahara|Vest-Sahara|Länsi-Sahara|Vestur-Sahara',
  ES: 'Spanien|Spania|Espanja|Spánn|Spanje|Espagne|Spagna|España|Espanha|Hiszpania|Španělsko|Španielsko|Spanyolország|Španjolska|Španija|Hispaania|Ispanija|Ισπανία|Испания|an Spáinn|Spanja|Espanya|Шпанија|Іспанія|İspanya',
  ET: 'Etiopien|Etiopia',
  FI: 'Suomi|Suomen tasavalta|Finnland|Finlande|Finlandia|Finsko|Finnország|Finlanda|Finska|Soome|Somija|Suomija|Φινλανδία|Финландия|an Fhionlainn|il-Finlandja|Финска|Фінляндія|Финляндия|Фінляндыя|Finlandiya',
  FJ: 'Fidži|Fídjíeyjar',
  FK: 'Falklandsöarna|Falklandsøyene|Falklandsøyane|Falklandsøerne|Falklandinsaaret|Falklandseyjar|Falklandsoyggjar',
  FM: 'Mikronesien|Mikronesiaføderasjonen|Mikronesia|Mikronesiasamveldið',
  FO: 'Føroyar|Færøerne|Færøyane|Färöarna|Færøyene|Färsaaret|Færeyjar|Färöer|Faeröer|Îles Féroé|Isole Fær Øer|Islas Feroe|Ilhas Faroé|Wyspy Owcze|Faerské ostrovy|Feröer szigetek|Insulele Feroe|Farski Otoci|Ferski otoki|Farska Ostrva|Fääri saared|Fēru salas|Farerų Salos|Νήσοι Φερόες|Фарьорски острови|Oileáin Fharó|il-Gżejjer Faeroe|Illes Fèroe|Ishujt Faroe|Фарски Острови|Фарерські Острови|Фарерские о-ва|Фарэрскія астравы|Faroe Adaları|Фарска Острва',
  FR: 'Frankrike|Frankrig|Ranska|Frakkland|Frakland|Frankreich|Frankrijk|Francia|França|Francja|Francie|Francúzsko|Franciaország|Franța|Francuska|Francija|Prantsusmaa|Prancūzija|Γαλλία|Франция|an Fhrainc|Franza|Frankräich|Франција|Франція|Францыя|Fransa|Француска',
  GB: 'Storbritannien|Storbritannia|Englanti|Iso-Britannia|Bretland|Stórabretland|Vereinigtes Königreich|Verenigd Koninkrijk|Royaume-Uni|Regno Unito|Reino Unido|Wielka Brytania|Spojené království|Spojené kráľovstvo|Egyesült Királyság|Regatul Unit|Ujedinjeno Kraljevstvo|Združeno kraljestvo|Ühendkuningriik|Apvienotā Karaliste|Jungtinė Karalystė|Ηνωμένο Βασίλειο|Обединеното кралство|an Ríocht Aontaithe|ir-Renju Unit|Groussbritannien|Regne Unit|Mbretëria e Bashkuar|Обединето Кралство|Велика Британія|Великобритания|Вялікабрытанія|Birleşik Krallık|Уједињено Краљевство',
  GE: 'Georgien',
  GF: 'Franska Guyana|Fransk Guyana|Ranskan Guayana|Franska Gvæjana|Franska Gujana',
  GG: 'Guernesey|Gernzi|Gērnsija|Gernsis|Γκέρνζι|Гърнзи|Geansaí|Gernsej|Гернзи|Гернсі|Гернси',
  GH: 'Gana',
  GI: 'Gibilterra|Gibraltārs|Gibraltaras|Γιβραλτάρ|Гибралтар|Giobráltar|Ġibiltà|Gjibraltar|Гібралтар|Cebelitarık',
  GL: 'Kalaallit Nunaat|Grønland|Grönlanti|Grænland|Groenland|Groenlandia|Grenlandia|Grónsko|Groenlanda|Grenland|Grenlandija|Gröönimaa|Grenlande|Γροιλανδία|Гренландия|an Ghraonlainn|Гренланд|Гренландія|Грэнландыя',
  GN: 'Gínea',
  GP: 'Gvadelúpeyjar',
  GQ: 'Ekvatorialguinea|Ækvatorialguinea|Päiväntasaajan Guinea|Miðbaugs-Gínea|Ekvatorguinea',
  GR: 'Grekland|Hellas|Grækenland|Kreikka|Grikkland|Grikkaland|Griechenland|Griekenland|Grèce|Grecia|Grecja|Řecko|Grécko|Görögország|Grčka|Grčija|Kreeka|Grieķija|Graikija|Ελλάδα|Гърция|an Ghréig|il-Greċja|Griicheland|Greqi|Грција|Греція|Греция|Грэцыя|Yunanistan|Грчка',
  GS: 'Sydgeorgien och Sydsandwichöarna|Sør-Georgia og Sør-Sandwichøyene|Sør-Georgia og Sør-Sandwichøyane|South Georgia og De Sydlige Sandwichøer|Etelä-Georgia ja Eteläiset Sandwichinsaaret|Suður-Georgía og Suður-Sandvíkureyjar|Suðurgeorgia og Suðursandwichoyggjar',
  GT: 'Gvatemala',
  GU: 'Gvam',
  GW: 'Gínea-Bissá',
  GY: 'Gvæjana|Gujana',
  HK: 'Hongkong SAR|Hongkong SAR Kina|SAR Hongkong|Hongkong – Kiinan erityishallintoalue|sérstjórnarsvæðið Hong Kong',
  HM: 'Heardön och McDonaldöarna|Heard- og McDonaldøyene|Heardøya og McDonaldøyane|Heard Island og McDonald Islands|Heard ja McDonaldinsaaret|Heard og McDonaldseyjar|Heard og McDonaldoyggjar',
  HR: 'Kroatien|Kroatia|Kroatië|Croatie|Croazia|Croacia|Chorwacja|Chorvatsko|Horvátország|Hrvatska|Hrvaška|Horvaatia|Horvātija|Kroatija|Κροατία|Хърватия|an Chróit|il-Kroazja|Kroaci|Хрватска|Хорватія|Хорватия|Харватыя|Hırvatistan',
  HU: 'Ungern|Ungarn|Unkari|Ungverjaland|Hongarije|Hongrie|Ungheria|Hungría|Węgry|Maďarsko|Magyarország|Ungaria|Mađarska|Madžarska|Ungari|Ungārija|Vengrija|Ουγγαρία|Унгария|an Ungáir|l-Ungerija|Hongria|Hungari|Унгарија|Угорщина|Венгрия|Венгрыя|Macaristan|Мађарска',
  ID: 'Indonesien',
  IE: 'Éire|Irland|Irlanti|Ierland|Irlande|Irlanda|Irlandia|Irsko|Írország|Irska|Iirimaa|Īrija|Airija|Ιρλανδία|Ирландия|l-Irlanda|Ирска|Ірландія|Ірландыя',
  IM: 'Man|Mansaari|Mön|Île de Man|Isola di Man|Isla de Man|Ilha de Man|Wyspa Man|Ostrov Man|Man-sziget|Insula Man|Otok Man|Ostrvo Man|Mani saar|Menas sala|Meno Sala|Νήσος του Μαν|остров Ман|Oileán Mhanann|Illa de Man|Ishulli i Manit|Острів Мен|о-в Мэн|Востраў Мэн|Man Adası|Острво Ман',
  IN: 'Indien|Intia|Indland',
  IO: 'Brittiska territoriet i Indiska oceanen|Det britiske territoriet i Indiahavet|Det Britiske Territorium i Det Indiske Ocean|Brittiläinen Intian valtameren alue|Bresku Indlandshafseyjar|Stóra Bretlands Indiahavoyggjar',
  IQ: 'Irak',
  IS: 'Island|Islanti|IJsland|Islande|Islanda|Islandia|Izland|Islandija|Ισλανδία|Исландия|an Íoslainn|l-Iżlanda|Исланд|Ісландія|Ісландыя|İzlanda',
  IT: 'Italien|Italia|Italië|Włochy|Taliansko|Olaszország|Italija|Itaalia|Ιταλία|Италия|an Iodáil|l-Italja|Itali|Италија|Італія|İtalya',
  JE: 'Džerzi|Džērsija|Džersis|Τζέρζι|Джърси|Geirsí|Xhersej|Џерси|Джерсі|Джерси|Джэрсі|Џерзи',
  JM: 'Jamaika',
  JO: 'Jordanien|Jordania',
  JP: 'Japani',
  KE: 'Kenia|Kenja',
  KG: 'Kirgizistan|Kirgisistan|Kirgisia|Kirgistan',
  KH: 'Kambodja|Kambodsja|Cambodja|Kambodža|Kambódía',
  KM: 'Komorerna|Komorene|Komorane|Comorerne|Komorit|Kómoreyjar|Komoroyggjar',
  KN: 'S:t Kitts och Nevis|Saint Kitts og Nevis|Saint Kitts ja Nevis|Sankti Kitts og Nevis|St. Kitts & Nevis',
  KP: 'Nordkorea|Pohjois-Korea|Norður-Kórea',
  KR: 'Sydkorea|Sør-Korea|Etelä-Korea|Suður-Kórea',
  KW: 'Kúveit|Kuvait',
  KY: 'Caymanöarna|Caymanøyene|Caymanøyane|Caymanøerne|Caymansaaret|Caymaneyjar|Caymanoyggjar',
  KZ: 'Kazakstan|Kasakhstan|Kasakstan',
  LB: 'Libanon',
  LC: 'S:t Lucia|Sankti Lúsía|St. Lusia',
  LI: 'Liktinstein|Lichtenštejnsko|Lichtenštajnsko|Lihtenštajn|Lihtenšteina|Lichtenšteinas|Λιχτενστάιν|Лихтенщайн|Lichtinstéin|il-Liechtenstein|Lihtenshtajn|Лихтенштајн|Ліхтенштейн|Лихтенштейн|Ліхтэнштэйн',
  LS: 'Lesótó',
  LT: 'Litauen|Liettua|Litháen|Litava|Litouwen|Lituanie|Lituania|Litwa|Litva|Litvánia|Litvanija|Leedu|Lietuva|Λιθουανία|Литва|an Liotuáin|il-Litwanja|Lituani|Литванија|Літва|Litvanya',
  LU: 'Luxemburg|Lúxemborg|Luksemborg|Lussemburgo|Luxemburgo|Luksemburg|Lucembursko|Luxembursko|Luksemburga|Liuksemburgas|Λουξεμβούργο|Люксембург|Lucsamburg|il-Lussemburgu|Lëtzebuerg|Луксембург',
  LV: 'Lettland|Letland|Lettonie|Lettonia|Letonia|Łotwa|Lotyšsko|Lettország|Latvija|Letonija|Läti|Λετονία|Латвия|an Laitvia|il-Latvja|Letoni|Латвија|Латвія|Letonya|Летонија',
  LY: 'Libyen|Líbía',
  MA: 'Marocko|Marokko',
  MC: 'Mónakó|Monakas|Μονακό|Монако|Манака',
  MD: 'Moldavien|Republik Moldau|Moldavië|Moldavia|Mołdawia|Moldavsko|Republica Moldova|Moldavija|Μολδαβία|Молдова|an Mholdóiv|il-Moldova|Moldawien|Moldavi|Молдавија|Малдова',
  ME: 'Svartfjallaland|Czarnogóra|Černá Hora|Čierna Hora|Muntenegru|Crna Gora|Melnkalne|Juodkalnija|Μαυροβούνιο|Черна гора|Montainéagró|il-Montenegro|Mal i Zi|Црна Гора|Чорногорія|Черногория|Чарнагорыя|Karadağ',
  MF: 'St-Martin',
  MG: 'Madagaskar',
  MH: 'Marshallöarna|Marshalløyene|Marshalløyane|Marshalløerne|Marshallinsaaret|Marshalleyjar|Marshalloyggjar',
  MK: 'Nordmakedonien|Nord-Makedonia|Pohjois-Makedonia|Norður-Makedónía|Nordmazedonien|Noord-Macedonië|Macédoine du Nord|Macedonia del Nord|Macedonia del Norte|Macedônia do Norte|Macedonia Północna|Severní Makedonie|Severné Macedónsko|Észak-Macedónia|Macedonia de Nord|Sjeverna Makedonija|Severna Makedonija|Põhja-Makedoonia|Ziemeļmaķedonija|Šiaurės Makedonija|Βόρεια Μακεδονία|Северна Македония|an Mhacadóin Thuaidh|il-Maċedonja ta’ Fuq|Maqedonia e Veriut|Северна Македонија|Північна Македонія|Северная Македония|Паўночная Македонія|Kuzey Makedonya',
  MM: 'Myanmar (Burma)|Mjanmar (Búrma)',
  MN: 'Mongoliet',
  MO: 'Macao SAR|Macao SAR Kina|SAR Macao|Macao – Kiinan erityishallintoalue|sérstjórnarsvæðið Makaó|Makao SAR Kina',
  MP: 'Nordmarianerna|Nord-Marianene|Nord-Marianane|Nordmarianerne|Pohjois-Mariaanit|Norður-Maríanaeyjar|Norðaru Mariuoyggjar',
  MQ: 'Martiník',
  MR: 'Mauretanien|Máritanía|Móritania',
  MT: 'Malte|Μάλτα|Малта|Мальта',
  MU: 'Máritíus|Móritius',
  MV: 'Maldiverna|Maldivene|Maldivane|Maldiverne|Malediivit|Maldíveyjar|Maldivoyggjar',
  MW: 'Malaví',
  MX: 'Mexiko|Meksiko',
  MY: 'Malesia|Malasía|Malaisia',
  MZ: 'Moçambique|Mosambik',
  NC: 'Nya Kaledonien|Ny-Caledonia|Ny Kaledonien|Uusi-Kaledonia|Nýja-Kaledónía|Nýkaledónia',
  NF: 'Norfolkön|Norfolkøya|Norfolkinsaari|Norfolkeyja|Norfolksoyggj',
  NI: 'Níkaragva|Nikaragua',
  NL: 'Nederland|Nederländerna|Nederlandene|Alankomaat|Niðurlond|Niederlande|Pays-Bas|Paesi Bassi|Países Bajos|Países Baixos|Holandia|Nizozemsko|Holandsko|Hollandia|Țările de Jos|Nizozemska|Holandija|Nīderlande|Nyderlandai|Κάτω Χώρες|Нидерландия|an Ísiltír|in-Netherlands|Països Baixos|Holandë|Холандија|Нідерланди|Нидерланды|Нідэрланды|Hollanda',
  NO: 'Noreg|Norga|Norge|Norja|Noregur|Norwegen|Noorwegen|Norvège|Norvegia|Noruega|Norwegia|Norsko|Norveška|Norra|Norvēģija|Νορβηγία|Норвегия|an Iorua|in-Norveġja|Norvegji|Норвешка|Норвегія|Нарвегія|Norveç',
  NR: 'Nárú',
  NZ: 'Nya Zeeland|Uusi-Seelanti|Nýja-Sjáland|Nýsæland',
  PF: 'Franska Polynesien|Fransk Polynesia|Fransk Polynesien|Ranskan Polynesia|Franska Pólýnesía',
  PG: 'Papua Nya Guinea|Papua Ny-Guinea|Papua-Uusi-Guinea|Papúa Nýja-Gínea',
  PH: 'Filippinerna|Filippinene|Filippinane|Filippinerne|Filippiinit|Filippseyjar|Filipsoyggjar',
  PL: 'Polen|Puola|Pólland|Pologne|Polonia|Polska|Polsko|Lengyelország|Poljska|Poola|Polija|Lenkija|Πολωνία|Полша|an Pholainn|il-Polonja|Poloni|Полска|Польща|Польша|Польшча|Polonya|Пољска',
  PM: 'S:t Pierre och Miquelon|Saint-Pierre-et-Miquelon|Saint Pierre og Miquelon|Saint-Pierre ja Miquelon|Sankti Pierre og Miquelon',
  PN: 'Pitcairnöarna|Pitcairnøyene|Pitcairn-eyjar|Pitcairnoyggjar',
  PR: 'Púertó Ríkó',
  PS: 'Palestinska territorierna|Det palestinske området|De palæstinensiske områder|Palestiinalaisalue|Heimastjórnarsvæði Palestínumanna|Palestinskt landøki',
  PT: 'Portugali|Portogallo|Portugalia|Portugalsko|Portugalska|Portugalija|Portugāle|Πορτογαλία|Португалия|an Phortaingéil|il-Portugall|Португалија|Португалія|Партугалія|Portekiz',
  PW: 'Palá',
  PY: 'Paragvæ|Paraguai',
  QA: 'Katar',
  RO: 'Rumänien|Rumænien|Rúmenía|Roemenië|Roumanie|Rumanía|Romênia|Rumunia|Rumunsko|Rumunjska|Romunija|Rumunija|Rumeenia|Rumānija|Ρουμανία|Румъния|an Rómáin|ir-Rumanija|Rumani|Романија|Румунія|Румыния|Румынія|Romanya|Румунија',
  RS: 'Serbien|Servië|Serbie|Sérvia|Srbsko|Szerbia|Srbija|Serbija|Σερβία|Сърбия|an tSeirbia|is-Serbja|Serbi|Србија|Сербія|Сербия|Sırbistan',
  RU: 'Ryssland|Russland|Rusland|Venäjä|Russie|Rusia|Rosja|Rusko|Oroszország|Rusija|Venemaa|Krievija|Ρωσία|Русия|an Rúis|ir-Russja|Rusi|Русија|Росія|Россия|Расія|Rusya',
  RW: 'Ruanda',
  SA: 'Saudiarabien|Sádi-Arabía',
  SB: 'Salomonöarna|Salomonøyene|Salomonøyane|Salomonøerne|Salomonsaaret|Salómonseyjar|Salomonoyggjar',
  SC: 'Seychellerna|Seychellene|Seychellane|Seychellerne|Seychellit|Seychelles-eyjar|Seyskelloyggjar',
  SE: 'Konungariket Sverige|Sverige|Ruotsi|Svíþjóð|Svøríki|Schweden|Zweden|Suède|Svezia|Suecia|Szwecja|Švédsko|Svédország|Suedia|Švedska|Rootsi|Zviedrija|Švedija|Σουηδία|Швеция|an tSualainn|l-Iżvezja|Suedi|Шведска|Швеція|Швецыя|İsveç',
  SG: 'Singapúr|Singapor',
  SH: 'S:t Helena|Sankti Helena',
  SI: 'Slovenien|Slowenien|Slovenië|Eslovenia|Słowenia|Slovinsko|Szlovénia|Slovenija|Sloveenia|Σλοβενία|Словения|an tSlóivéin|is-Slovenja|Slloveni|Словенија|Словенія|Славенія|Slovenya',
  SJ: 'Svalbard och Jan Mayen|Svalbard og Jan Mayen|Huippuvuoret ja Jan Mayen|Svalbarði og Jan Mayen|Spitzbergen und Jan Mayen|Spitsbergen en Jan Mayen|Svalbard et Jan Mayen|Svalbard e Jan Mayen|Svalbard y Jan Mayen|Svalbard i Jan Mayen|Špicberky a Jan Mayen|Svalbard a Jan Mayen|Svalbard és Jan Mayen|Svalbard și Jan Mayen|Svalbard in Jan Mayen|Svalbard i Jan Majen|Svalbard ja Jan Mayen|Svalbāra un Jana Majena sala|Svalbardas ir Janas Majenas|Σβάλμπαρντ και Γιαν Μαγιέν|Свалбард и Ян Майен|Svalbard agus Jan Mayen|Svalbard u Jan Mayen|Svalbard e Jan-Majen|Свалбард и Јан Мајен|Шпіцберген та Ян-Маєн|Шпицберген и Ян-Майен|Шпіцберген і Ян-Маен|Svalbard ve Jan Mayen',
  SK: 'Slovakien|Slovakiet|Slowakei|Slowakije|Slovaquie|Slovacchia|Eslovaquia|Słowacja|Slovensko|Szlovákia|Slovacia|Slovačka|Slovaška|Slovakkia|Slovākija|Σλοβακία|Словакия|an tSlóvaic|is-Slovakkja|Sllovaki|Словачка|Словаччина|Славакія|Slovakya',
  SL: 'Sierra Leona',
  SM: 'Saint-Marin|San Marinas|Άγιος Μαρίνος|Сан Марино|San Mairíne|Сан-Марына',
  SR: 'Surinam',
  SS: 'Sydsudan|Sør-Sudan|Etelä-Sudan|Suður-Súdan',
  ST: 'São Tomé och Príncipe|São Tomé og Príncipe|São Tomé ja Príncipe|Saó Tóme og Prinsípe|Sao Tome & Prinsipi',
  SY: 'Syrien|Syyria|Sýrland',
  SZ: 'Esvatíní',
  TC: 'Turks- och Caicosöarna|Turks- og Caicosøyene|Turks- og Caicosøyane|Turks- og Caicosøerne|Turks- ja Caicossaaret|Turks- og Caicoseyjar|Turks- og Caicosoyggjar',
  TD: 'Tchad|Tsjad|Tšad|Kjad',
  TF: 'Franska sydterritorierna|De franske sørterritorier|Dei franske sørterritoria|De Franske Besiddelser i Det Sydlige Indiske Ocean og Antarktis|Ranskan eteläiset ja antarktiset alueet|Frönsku suðlægu landsvæðin|Fronsku sunnaru landaøki',
  TH: 'Thaimaa|Taíland',
  TJ: 'Tadzjikistan|Tadsjikistan|Tadžikistan|Tadsíkistan',
  TK: 'Tokelauöarna|Tókelá',
  TL: 'Östtimor|Aust-Timor|Itä-Timor|Eysturtimor',
  TN: 'Tunisien|Tunesien|Túnis|Tunesia',
  TR: 'Turkiet|Tyrkia|Tyrkiet|Turkki|Tyrkland|Turkaland|Türkei|Turkije|Turquie|Turchia|Turquía|Turcja|Turecko|Törökország|Turcia|Turska|Turčija|Türgi|Turkija|Τουρκία|Турция|an Tuirc|it-Turkija|Tierkei|Turqi|Турција|Туреччина|Турцыя|Турска',
  TT: 'Trinidad och Tobago|Trinidad og Tobago|Trinidad ja Tobago',
  TW: 'Taívan',
  TZ: 'Tansania',
  UA: 'Ukraina|Oekraïne|Ucraina|Ucrania|Ukrajina|Ukrajna|Ουκρανία|Украйна|an Úcráin|l-Ukrajna|Ukrain|Україна|Ukrayna|Украјина',
  UM: 'USA:s yttre öar|USAs ytre øyer|USAs ytre småøyar|Amerikanske oversøiske øer|Yhdysvaltain erillissaaret|Smáeyjar Bandaríkjanna|Sambandsríki Amerikas fjarskotnu oyggjar',
  US: 'Förenta staterna|Yhdysvallat|Bandaríkin|Sambandsríki Amerika',
  UY: 'Úrúgvæ|Uruguai',
  UZ: 'Usbekistan',
  VA: 'Vatikanstaten|Vatikaani|Vatíkanið|Vatikanbýur|Vatikanstadt|Vaticaanstad|État de la Cité du Vatican|Città del Vaticano|Ciudad del Vaticano|Cidade do Vaticano|Watykan|Vatikán|Statul Cetății Vaticanului|Vatikāns|Vatikano Miesto Valstybė|Βατικανό|Ватикан|Cathair na Vatacáine|l-Istat tal-Belt tal-Vatikan|Vatikanstad|Ciutat del Vaticà|Ватыкан',
  VC: 'S:t Vincent och Grenadinerna|St. Vincent og Grenadinene|St. Vincent og Grenadinane|Saint Vincent og Grenadinerne|Saint Vincent ja Grenadiinit|Sankti Vinsent og Grenadíneyjar|St. Vinsent & Grenadinoyggjar',
  VE: 'Venesúela',
  VG: 'Brittiska Jungfruöarna|De britiske jomfruøyene|Dei britiske Jomfruøyane|De Britiske Jomfruøer|Brittiläiset Neitsytsaaret|Bresku Jómfrúaeyjar|Stóra Bretlands Jomfrúoyggjar',
  VI: 'Amerikanska Jungfruöarna|De amerikanske jomfruøyene|Dei amerikanske Jomfruøyane|De Amerikanske Jomfruøer|Yhdysvaltain Neitsytsaaret|Bandarísku Jómfrúaeyjar|Sambandsríki Amerikas Jomfrúoyggjar',
  VN: 'Vjetnam',
  WF: 'Wallis- och Futunaöarna|Wallis og Futuna|Wallis ja Futuna|Wallis- og Fútúnaeyjar|Wallis- og Futunaoyggjar',
  YE: 'Jemen',
  ZA: 'Sydafrika|Sør-Afrika|Etelä-Afrikka|Suður-Afríka',
  ZM: 'Sambia',
  ZW: 'Simbabve|Simbabvi',
};

/**
 * Codes ISO reserves for a country that is officially coded otherwise (UK for GB, EL for GR, as the
 * EU writes them): read as that country.
 */
const EXCEPTIONALLY_RESERVED: Readonly<Record<string, string>> = { UK: 'GB', EL: 'GR' };

export interface CountryEntry {
  alpha2: string;
  alpha3: string;
  /** ISO 3166-1 English short name */
  name: string;
}

interface CountryTable {
  entries: CountryEntry[];
  alpha2: Set<string>;
  /** normalized alpha-3 code or name -> alpha-2 */
  byKey: Map<string, string>;
}

let table: CountryTable | undefined;
let assigned: Set<string> | undefined;

/**
 * The assigned alpha-2 codes, without building the name table: a two-letter Country (the common
 * case) needs nothing else. (Workflow code runs in a sandbox whose module state starts afresh in
 * every workflow run, so whatever is built on first use is built again for each sync.)
 */
function assignedAlpha2(): Set<string> {
  assigned ??= new Set(ISO_3166_1.trim().split('\n').map((line) => line.slice(0, line.indexOf(' '))));
  return assigned;
}

const SPECIAL_LETTERS: Readonly<Record<string, string>> = { ø: 'o', æ: 'ae', œ: 'oe', ß: 'ss', ð: 'd', þ: 'th', ł: 'l', đ: 'd', ı: 'i', ŧ: 't' };

/**
 * The key a country name is looked up by: case, spaces, punctuation and diacritics ignored, a
 * leading "the" dropped, "&" read as "and" ("Côte d'Ivoire" -> "cotedivoire", "Færøerne" -> "faeroerne").
 */
export function countryKey(value: string): string {
  // Printable ASCII (most names, and most of what App4Sales holds): the same key without the
  // Unicode normalization, which made building the table cost ~90 ms of workflow CPU per sync.
  if (/^[\x20-\x7e]*$/.test(value)) {
    return value
      .toLowerCase()
      .replace(/&/g, ' and ')
      .replace(/^\s*the\s+/, '')
      .replace(/[^a-z0-9]+/g, '');
  }
  return value
    .toLowerCase()
    .replace(/[øæœßðþłđıŧ]/g, (letter) => SPECIAL_LETTERS[letter] ?? letter)
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/&/g, ' and ')
    .replace(/^\s*the\s+/, '')
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

/** "Österreich" is also written "Oesterreich", "Åland" "Aaland": both spellings are claimed. */
const TRANSLITERATIONS: Readonly<Record<string, string>> = { ä: 'ae', ö: 'oe', ü: 'ue', å: 'aa', Ä: 'Ae', Ö: 'Oe', Ü: 'Ue', Å: 'Aa' };

/** Built on first use; throws if two countries claim one name (a data error, caught by the unit tests). */
function countryTable(): CountryTable {
  if (table) return table;
  const entries: CountryEntry[] = [];
  const byKey = new Map<string, string>();
  const claim = (name: string, alpha2: string) => {
    for (const spelling of new Set([name, name.replace(/[äöüåÄÖÜÅ]/g, (letter) => TRANSLITERATIONS[letter] ?? letter)])) {
      const key = countryKey(spelling);
      const owner = byKey.get(key);
      if (owner !== undefined && owner !== alpha2) throw new Error(`country table: "${spelling}" names both ${owner} and ${alpha2}`);
      byKey.set(key, alpha2);
    }
  };
  for (const line of ISO_3166_1.trim().split('\n')) {
    const [alpha2, alpha3, ...rest] = line.split(' ');
    const names = rest.join(' ').split('|');
    entries.push({ alpha2, alpha3, name: names[0] });
    for (const name of [alpha3, ...names]) claim(name, alpha2);
  }
  for (const [alpha2, names] of Object.entries(LOCAL_NAMES)) {
    for (const name of names.split('|')) claim(name, alpha2);
  }
  table = { entries, alpha2: new Set(entries.map((e) => e.alpha2)), byKey };
  return table;
}

/** Every ISO 3166-1 country: alpha-2, alpha-3 and English short name. */
export function isoCountries(): readonly CountryEntry[] {
  return countryTable().entries;
}

export type CountryResolution =
  /** An assigned alpha-2 code, or one found for an alpha-3 code, a reserved code or a name. */
  | { code: string; from: 'alpha-2' | 'reserved alpha-2' | 'alpha-3 or name' }
  /** Two letters that are no assigned code: kept as the code given (never read as a name), with a warning. */
  | { code: string; from: 'unassigned alpha-2'; reason: string }
  /** Neither a code nor a known name: left out, with a warning. */
  | { code: undefined; from: 'unknown'; reason: string };

/**
 * Specter's CountryCode for what App4Sales holds in Address.Country. Two letters are a code (upper-cased;
 * "SW" stays "SW", it is never taken for the start of "Sweden"); anything longer is looked up as an
 * alpha-3 code or a country name; nothing is ever truncated.
 */
export function resolveCountry(value: string): CountryResolution {
  const trimmed = value.trim();
  if (/^[A-Za-z]{2}$/.test(trimmed)) {
    const code = trimmed.toUpperCase();
    if (assignedAlpha2().has(code)) return { code, from: 'alpha-2' };
    const reserved = EXCEPTIONALLY_RESERVED[code];
    if (reserved) return { code: reserved, from: 'reserved alpha-2' };
    return { code, from: 'unassigned alpha-2', reason: `${code} is not an assigned ISO 3166-1 alpha-2 code; sent as given` };
  }
  const found = countryTable().byKey.get(countryKey(trimmed));
  if (found) return { code: found, from: 'alpha-3 or name' };
  return { code: undefined, from: 'unknown', reason: 'neither an ISO 3166-1 code nor a known country name; CountryCode left out' };
}
